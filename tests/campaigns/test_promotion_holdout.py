"""A points promotion's holdout (issue 17, item 3): a stable share of members
who do not get the promotion, so the offers report can tell the visits it
brought. Held-out members earn nothing from it, are not shown it among their
perks and get no ends-soon reminder for it; everyone else does."""

from __future__ import annotations

import itertools
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.test import Client

from campaigns.earning import QuoteLine, points_quote
from campaigns.holdout import OfferBucket, holdout_bucket, offer_bucket, promotion_holds_out
from campaigns.models import Promotion, Reminder
from campaigns.perks import member_perks
from campaigns.reminders import reminders_send
from members.models import Member
from members.services import consent_record, member_get_or_create_for_user
from tests.conftest import MemberFactory, make_user

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
WEDNESDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=TAIPEI)


def members_by_group(promotion: Promotion, make_member: Callable[..., Member]) -> tuple[Member, Member]:
    """One member the promotion is for and one in its holdout (members are
    made until each group has one; the hash decides, not the test)."""
    treated: Member | None = None
    held_out: Member | None = None
    while treated is None or held_out is None:
        member = make_member()
        consent_record(member=member, channel="email", purpose="marketing", granted=True)
        if promotion_holds_out(promotion=promotion, member_id=member.pk):
            held_out = held_out or member
        else:
            treated = treated or member
    return treated, held_out


@pytest.fixture
def member_day() -> Promotion:
    # A member day is a promotion too: its holdout is the manager's choice.
    return Promotion.objects.create(
        name="Member day Wednesday",
        multiplier_percent=200,
        weekdays="3",
        is_member_day=True,
        holdout_percent=50,
        ends_at=WEDNESDAY_NOON + timedelta(days=2),
    )


def test_the_holdout_is_stable_per_member_and_keyed_by_the_promotion(member_day: Promotion) -> None:
    ids = range(1, 401)
    held = {pk for pk in ids if promotion_holds_out(promotion=member_day, member_id=pk)}
    # The same members on every call and from a fresh copy of the row (nothing random per process).
    fresh = Promotion.objects.get(pk=member_day.pk)
    assert held == {pk for pk in ids if promotion_holds_out(promotion=fresh, member_id=pk)}
    assert held == {pk for pk in ids if offer_bucket(offer=f"promotion:{member_day.pk}", member_id=pk) < 50}
    assert 150 < len(held) < 250  # about half of 400
    # Keyed by the promotion: another promotion, and the campaign with the same id, hold out others.
    other = Promotion.objects.create(name="Other", bonus_points=5, holdout_percent=50)
    assert held != {pk for pk in ids if promotion_holds_out(promotion=other, member_id=pk)}
    assert held != {pk for pk in ids if holdout_bucket(campaign_id=member_day.pk, member_id=pk) < 50}
    # 0 %: no one is held out.
    member_day.holdout_percent = 0
    assert not any(promotion_holds_out(promotion=member_day, member_id=pk) for pk in ids)


def test_the_campaigns_buckets_did_not_move() -> None:
    """Campaign entries made before the hashing moved to campaigns.holdout
    were drawn with this key: a changed key would regroup reruns. 72 =
    int.from_bytes(sha256(b"campaign:7:member:42").digest()[:4], "big") % 100,
    the formula lifecycle used."""
    assert holdout_bucket(campaign_id=7, member_id=42) == offer_bucket(offer="campaign:7", member_id=42) == 72


def _sql_buckets_equal_pythons() -> None:
    """OfferBucket (the offers report counts groups with it in the database)
    draws every member into the bucket offer_bucket does."""
    members: list[Member] = [MemberFactory.create() for _ in range(60)]
    for offer in ("promotion:3", "promotion:12345", "campaign:7"):
        in_sql = dict(Member.objects.annotate(bucket=OfferBucket(offer, "pk")).values_list("pk", "bucket"))
        assert in_sql == {m.pk: offer_bucket(offer=offer, member_id=m.pk) for m in members}
    assert Member.objects.filter(pk=members[0].pk).annotate(b=OfferBucket("campaign:7", Value(42))).get().b == 72


def test_the_holdout_drawn_in_sql_is_the_one_drawn_in_python() -> None:
    _sql_buckets_equal_pythons()


@pytest.mark.postgres
def test_the_holdout_drawn_in_postgresql_is_the_one_drawn_in_python() -> None:
    _sql_buckets_equal_pythons()


def test_a_held_out_member_does_not_earn_the_promotion(
    member_day: Promotion, make_member: Callable[..., Member]
) -> None:
    treated, held_out = members_by_group(member_day, make_member)
    lines = [QuoteLine("latte-m", "coffee", 1, 10_000)]

    def quote(member: Member) -> int:
        result = points_quote(member=member, lines=lines, total_paid=10_000, store_slug=None, at=WEDNESDAY_NOON)
        assert result.promotions == ({member_day.pk: 10} if member == treated else {})
        return result.points

    assert quote(treated) == 20  # NT$100 = 10 points, doubled
    assert quote(held_out) == 10


def test_a_held_out_member_is_not_shown_the_perk(member_day: Promotion, make_member: Callable[..., Member]) -> None:
    treated, held_out = members_by_group(member_day, make_member)

    def shown(member: Member, store_slug: str | None = None) -> list[str]:
        perks = member_perks(member=member, at=WEDNESDAY_NOON, store_slug=store_slug)
        return [p.detail for p in perks if p.kind != "tier"]

    assert shown(treated) == shown(treated, "daan") == ["Member day Wednesday"]
    assert shown(held_out) == shown(held_out, "daan") == []  # not on the card page, nor at the till


def test_the_card_page_leaves_the_perk_out_for_the_holdout(
    client: Client, member_day: Promotion, django_user_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emails = itertools.count()

    def member_who_logs_in() -> Member:
        return member_get_or_create_for_user(user=make_user(django_user_model, f"m{next(emails)}@example.com"))

    treated, held_out = members_by_group(member_day, member_who_logs_in)
    monkeypatch.setattr("django.utils.timezone.now", lambda: WEDNESDAY_NOON)
    assert treated.user is not None and held_out.user is not None
    client.force_login(treated.user)
    assert "Member day Wednesday" in client.get("/").content.decode()
    client.force_login(held_out.user)
    page = client.get("/").content.decode()
    assert "Member day Wednesday" not in page and "double points" not in page


def test_a_held_out_member_gets_no_ends_soon_reminder(
    member_day: Promotion, make_member: Callable[..., Member]
) -> None:
    treated, held_out = members_by_group(member_day, make_member)
    others = Member.objects.exclude(pk__in=[treated.pk, held_out.pk])

    told = reminders_send(now=WEDNESDAY_NOON)[Reminder.Kind.PROMOTION]

    reminded = set(Reminder.objects.filter(kind=Reminder.Kind.PROMOTION).values_list("member_id", flat=True))
    assert treated.pk in reminded and held_out.pk not in reminded
    assert held_out.notices.filter(title__startswith="Member day Wednesday").count() == 0
    assert (
        told
        == len(reminded)
        == 1
        + sum(not promotion_holds_out(promotion=member_day, member_id=pk) for pk in others.values_list("pk", flat=True))
    )
    assert reminders_send(now=WEDNESDAY_NOON + timedelta(hours=1))[Reminder.Kind.PROMOTION] == 0


def test_the_holdout_is_at_most_half() -> None:
    promotion = Promotion(name="Greedy", bonus_points=5, holdout_percent=51)
    with pytest.raises(ValidationError, match="holdout_percent"):
        promotion.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        promotion.save()


def test_the_holdout_is_editable_in_the_admin(client: Client, manager_user: Any, member_day: Promotion) -> None:
    client.force_login(manager_user)
    page = client.get(f"/admin/campaigns/promotion/{member_day.pk}/change/").content.decode()
    assert 'name="holdout_percent"' in page and 'value="50"' in page
