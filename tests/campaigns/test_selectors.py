"""Reads in campaigns.selectors: what members see, what managers count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import Campaign, CampaignEntry, Coupon, CouponTemplate, MemberSegment, Reward
from campaigns.selectors import (
    campaign_result,
    campaigns_active,
    coupons_live,
    eligible_members,
    member_visit,
    rewards_active,
    segment_counts,
)
from members.models import Member, Visit
from members.services import consent_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def drip() -> CouponTemplate:
    return CouponTemplate.objects.create(name="Free drip", kind=CouponTemplate.Kind.FREE_ITEM, scope_sku="drip")


def test_expired_redeemed_and_other_members_coupons_are_not_live(
    make_member: Callable[..., Member], drip: CouponTemplate, django_assert_num_queries: Any
) -> None:
    member, other = make_member("Mei"), make_member("Other")
    now = timezone.now()
    later = coupon_issue(member=member, template=drip, source="test", now=now - timedelta(days=1))
    sooner = coupon_issue(member=member, template=drip, source="test", now=now - timedelta(days=20))
    expired = coupon_issue(member=member, template=drip, source="test", now=now - timedelta(days=40))
    redeemed = coupon_issue(member=member, template=drip, source="test", now=now)
    Coupon.objects.filter(pk=redeemed.pk).update(redeemed_at=now, order_reference="order:1")
    coupon_issue(member=other, template=drip, source="test", now=now)
    assert expired.expires_at <= now

    with django_assert_num_queries(1):  # the template comes with each coupon
        live = list(coupons_live(member=member, now=now))
        names = [coupon.template.name for coupon in live]
    assert [coupon.pk for coupon in live] == [sooner.pk, later.pk]  # soonest to expire first
    assert names == ["Free drip", "Free drip"]


def test_inactive_rewards_are_hidden_and_the_cheapest_comes_first(drip: CouponTemplate) -> None:
    Reward.objects.create(name="Drip", points_cost=300, template=drip)
    Reward.objects.create(name="Pastry", points_cost=200, template=drip)
    Reward.objects.create(name="Retired", points_cost=100, template=drip, is_active=False)
    assert [reward.name for reward in rewards_active()] == ["Pastry", "Drip"]


def test_a_visit_is_found_only_for_its_own_member_and_a_printable_reference(
    make_member: Callable[..., Member],
) -> None:
    member, other = make_member("Mei"), make_member("Other")
    visit = Visit.objects.create(member=member, at=timezone.now(), reference="order:7")
    assert member_visit(member=member, reference="order:7") == visit
    assert member_visit(member=other, reference="order:7") is None
    assert member_visit(member=member, reference="order:7\x00") is None


def test_campaign_result_counts_only_visits_within_the_window_after_entering(
    make_member: Callable[..., Member], drip: CouponTemplate
) -> None:
    campaign = Campaign.objects.create(name="Hi", kind=Campaign.Kind.WELCOME, coupon_template=drip, conversion_days=14)
    entered = timezone.now() - timedelta(days=30)
    came_back, too_late, before, held_back, held_out = (make_member(n) for n in ("A", "B", "C", "D", "E"))
    for member in (came_back, too_late, before):
        CampaignEntry.objects.create(campaign=campaign, member=member, group="treatment", entered_at=entered)
    for member in (held_back, held_out):
        CampaignEntry.objects.create(campaign=campaign, member=member, group="holdout", entered_at=entered)
    for member, days in ((came_back, 3), (too_late, 20), (before, -1), (held_back, 14)):
        Visit.objects.create(member=member, at=entered + timedelta(days=days), reference=f"v:{member.pk}")

    result = campaign_result(campaign=campaign)
    assert (result.treatment.members, result.treatment.converted) == (3, 1)
    assert (result.holdout.members, result.holdout.converted) == (2, 1)
    assert result.uplift_points == pytest.approx((1 / 3 - 1 / 2) * 100)


def test_campaign_result_without_entries_has_no_rates(drip: CouponTemplate) -> None:
    campaign = Campaign.objects.create(name="Empty", kind=Campaign.Kind.WELCOME, coupon_template=drip)
    result = campaign_result(campaign=campaign)
    assert (result.treatment.members, result.holdout.members) == (0, 0)
    assert result.treatment.rate is None and result.uplift_points is None


def test_win_back_eligibility_needs_a_lapse_consent_and_no_earlier_entry(
    make_member: Callable[..., Member], drip: CouponTemplate
) -> None:
    now = timezone.now()
    campaign = Campaign.objects.create(name="Back", kind=Campaign.Kind.WIN_BACK, days=60, coupon_template=drip)
    lapsed, silent, recent, entered = (make_member(n) for n in ("lapsed", "silent", "recent", "entered"))
    for member, days in ((lapsed, 90), (silent, 90), (recent, 5), (entered, 90)):
        Visit.objects.create(member=member, at=now - timedelta(days=days), reference=f"v:{member.pk}")
    for member in (lapsed, recent, entered):
        consent_record(member=member, channel="email", purpose="personalised", granted=True)
    CampaignEntry.objects.create(campaign=campaign, member=entered, group="holdout", entered_at=now)
    assert list(eligible_members(campaign=campaign, now=now)) == [lapsed]


def test_only_open_campaigns_with_an_active_coupon_are_active(drip: CouponTemplate) -> None:
    now = timezone.now()
    retired = CouponTemplate.objects.create(name="Old", kind=CouponTemplate.Kind.FREE_ITEM, is_active=False)
    open_ = Campaign.objects.create(name="Open", kind=Campaign.Kind.WELCOME, coupon_template=drip)
    Campaign.objects.create(name="Later", kind="welcome", coupon_template=drip, starts_at=now + timedelta(days=1))
    Campaign.objects.create(name="Over", kind="welcome", coupon_template=drip, ends_at=now)
    Campaign.objects.create(name="Off", kind="welcome", coupon_template=drip, is_active=False)
    Campaign.objects.create(name="Retired coupon", kind="welcome", coupon_template=retired)
    assert list(campaigns_active(now=now)) == [open_]


def test_segment_counts_list_every_segment_in_order(make_member: Callable[..., Member]) -> None:
    now = timezone.now()
    for member in (make_member("A"), make_member("B")):
        MemberSegment.objects.create(
            member=member,
            last_visit_at=now,
            recency_days=0,
            frequency=60,
            monetary=1,
            r_score=5,
            f_score=5,
            m_score=5,
            segment=MemberSegment.Segment.CHAMPIONS,
            computed_at=now,
        )
    counts = segment_counts()
    assert list(counts) == list(MemberSegment.Segment.values)
    assert counts[MemberSegment.Segment.CHAMPIONS] == 2
    assert sum(counts.values()) == 2
