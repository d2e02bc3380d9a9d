"""RFM segments, lifecycle campaigns with a holdout, and the retention report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from campaigns.lifecycle import campaign_run, campaigns_run, holdout_bucket
from campaigns.models import Campaign, CampaignEntry, Coupon, CouponTemplate, MemberSegment
from campaigns.reports import cohort_retention, lapsed_summary, monthly_activity
from campaigns.segments import frequency_score, monetary_score, recency_score, segment_for, segments_compute
from campaigns.selectors import campaign_result
from members.models import Member, Visit
from members.services import consent_record, member_anonymise

pytestmark = pytest.mark.django_db
Segment = MemberSegment.Segment


def visits(member: Member, *, days_ago: list[int], amount: int = 15_000, now: datetime | None = None) -> None:
    now = now or timezone.now()
    Visit.objects.bulk_create(
        Visit(member=member, at=now - timedelta(days=d, hours=1), amount=amount, reference=f"v:{member.pk}:{i}")
        for i, d in enumerate(days_ago)
    )


def test_scores_follow_the_documented_thresholds() -> None:
    assert [recency_score(d) for d in (0, 7, 8, 14, 30, 31, 60, 61, 400)] == [5, 5, 4, 4, 3, 2, 2, 1, 1]
    assert [frequency_score(v) for v in (0, 3, 4, 12, 24, 52, 300)] == [1, 1, 2, 3, 4, 5, 5]
    spends = sorted([100, 200, 300, 400, 500])
    assert [monetary_score(s, sorted_spends=spends) for s in spends] == [1, 2, 3, 4, 5]
    assert monetary_score(100, sorted_spends=[100]) == 3  # alone: the middle, not the bottom


@pytest.mark.parametrize(
    ("r", "f", "m", "n", "segment"),
    [
        (5, 5, 5, 60, Segment.CHAMPIONS),
        (5, 1, 2, 1, Segment.NEW),
        (4, 2, 3, 5, Segment.POTENTIAL),
        (3, 4, 5, 30, Segment.LOYAL),
        (3, 2, 2, 5, Segment.NEEDS_ATTENTION),
        (2, 3, 3, 15, Segment.AT_RISK),
        (2, 1, 2, 2, Segment.HIBERNATING),
        (1, 5, 4, 60, Segment.CANT_LOSE),
        (1, 1, 1, 2, Segment.LOST),
    ],
)
def test_segment_grid(r: int, f: int, m: int, n: int, segment: str) -> None:
    assert segment_for(r=r, f=f, m=m, visits=n) == segment


def test_compute_segments_scores_visitors_in_constant_queries(
    make_member: Callable[..., Member], django_assert_max_num_queries: Any
) -> None:
    champion, newcomer, drifting, gone, deleted, never = (make_member(n) for n in "ABCDEF")
    visits(champion, days_ago=[1, *range(3, 360, 6)], amount=30_000)
    visits(newcomer, days_ago=[3])
    visits(drifting, days_ago=list(range(45, 300, 15)), amount=25_000)
    visits(gone, days_ago=[200, 230])
    visits(deleted, days_ago=[2])
    member_anonymise(member=deleted)
    with django_assert_max_num_queries(6):
        run = segments_compute()
    assert run.members == 4
    got = dict(MemberSegment.objects.values_list("member__display_name", "segment"))
    assert got == {"A": Segment.CHAMPIONS, "B": Segment.NEW, "C": Segment.AT_RISK, "D": Segment.LOST}
    assert not MemberSegment.objects.filter(member=never).exists()
    out = io.StringIO()
    call_command("compute_segments", stdout=out)
    assert "Scored 4 member(s)" in out.getvalue()
    assert MemberSegment.objects.count() == 4


def test_a_deleted_account_loses_its_segment_at_once(make_member: Callable[..., Member]) -> None:
    member = make_member()
    visits(member, days_ago=[1])
    segments_compute()
    member_anonymise(member=member)
    assert not MemberSegment.objects.filter(member=member).exists()


@pytest.fixture
def drip() -> CouponTemplate:
    return CouponTemplate.objects.create(name="Free drip", kind=CouponTemplate.Kind.FREE_ITEM, scope_sku="drip")


def lapsed(make_member: Callable[..., Member], name: str, *, consent: bool) -> Member:
    member = make_member(name)
    visits(member, days_ago=[90, 120])
    if consent:
        consent_record(member=member, channel="email", purpose="personalised", granted=True)
    return member


def test_win_back_reaches_lapsed_members_who_agreed_to_personalised_offers(
    make_member: Callable[..., Member], drip: CouponTemplate
) -> None:
    agreed = lapsed(make_member, "agreed", consent=True)
    silent = lapsed(make_member, "silent", consent=False)
    withdrew = lapsed(make_member, "withdrew", consent=True)
    consent_record(member=withdrew, channel="email", purpose="personalised", granted=False)
    regular = make_member("regular")
    visits(regular, days_ago=[2, 40])
    consent_record(member=regular, channel="sms", purpose="personalised", granted=True)
    campaign = Campaign.objects.create(
        name="Miss you", kind=Campaign.Kind.WIN_BACK, days=60, coupon_template=drip, holdout_percent=0
    )
    run = campaign_run(campaign=campaign)
    assert (run.treatment, run.holdout) == (1, 0)
    entry = CampaignEntry.objects.get()
    assert entry.member == agreed and entry.coupon is not None and entry.coupon.member == agreed
    assert agreed.notices.filter(kind="offer").exists()
    assert not silent.coupons.exists() and not withdrew.coupons.exists() and not regular.coupons.exists()
    assert campaign_run(campaign=campaign).treatment == 0  # reruns enter nobody twice


def test_holdout_gets_nothing_and_the_split_is_stable(make_member: Callable[..., Member], drip: CouponTemplate) -> None:
    members = [make_member(f"N{i}") for i in range(40)]
    campaign = Campaign.objects.create(
        name="Welcome", kind=Campaign.Kind.WELCOME, days=30, coupon_template=drip, holdout_percent=50
    )
    (run,) = campaigns_run()
    assert run.treatment + run.holdout == 40 and run.treatment > 0 and run.holdout > 0
    for entry in CampaignEntry.objects.all():
        expected = "holdout" if holdout_bucket(campaign_id=campaign.pk, member_id=entry.member_id) < 50 else "treatment"
        assert entry.group == expected
        assert (entry.coupon is None) == (entry.group == "holdout")
    assert Coupon.objects.count() == run.treatment
    assert not [m for m in members if m.coupons.exists() and m.campaign_entries.get().group == "holdout"]


def test_welcome_skips_members_who_joined_long_ago(make_member: Callable[..., Member], drip: CouponTemplate) -> None:
    old = make_member("old")
    Member.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))
    fresh = make_member("fresh")
    Campaign.objects.create(name="Hi", kind=Campaign.Kind.WELCOME, days=30, coupon_template=drip, holdout_percent=0)
    campaigns_run()
    assert list(CampaignEntry.objects.values_list("member", flat=True)) == [fresh.pk]


def test_segment_campaign_and_conversion_uplift(make_member: Callable[..., Member], drip: CouponTemplate) -> None:
    champions = [make_member(f"C{i}") for i in range(12)]
    for member in champions:
        visits(member, days_ago=[1, *range(3, 360, 6)], amount=30_000)
        consent_record(member=member, channel="push", purpose="personalised", granted=True)
    segments_compute()
    campaign = Campaign.objects.create(
        name="Thanks",
        kind=Campaign.Kind.SEGMENT,
        segment=Segment.CHAMPIONS,
        coupon_template=drip,
        holdout_percent=50,
        conversion_days=14,
    )
    run = campaign_run(campaign=campaign)
    assert run.treatment + run.holdout == 12
    # Every treated member comes back within the window; nobody in the holdout does.
    for entry in campaign.entries.filter(group="treatment"):
        Visit.objects.create(member=entry.member, at=entry.entered_at + timedelta(days=2), reference=f"back:{entry.pk}")
    result = campaign_result(campaign=campaign)
    assert result.treatment.converted == result.treatment.members == run.treatment
    assert result.holdout.converted == 0 and result.holdout.members == run.holdout
    assert result.uplift_points == pytest.approx(100.0)


def test_monthly_activity_and_cohorts_count_returning_and_churned(make_member: Callable[..., Member]) -> None:
    now = timezone.make_aware(datetime(2026, 11, 20, 12))
    stays, leaves, joins = make_member("stays"), make_member("leaves"), make_member("joins")
    october = timezone.make_aware(datetime(2026, 10, 10, 12))
    for member in (stays, leaves):
        Visit.objects.create(member=member, at=october, reference=f"oct:{member.pk}")
    for member in (stays, joins):
        Visit.objects.create(member=member, at=now - timedelta(days=1), reference=f"nov:{member.pk}")
    rows = {row.month.month: row for row in monthly_activity(months=2, now=now)}
    assert (rows[10].active, rows[10].new) == (2, 2)
    november = rows[11]
    assert (november.active, november.new, november.returning, november.churned) == (2, 1, 1, 1)
    assert november.churn_rate == pytest.approx(0.5)
    cohorts = cohort_retention(months=2, now=now)
    assert [(c.month.month, c.size) for c in cohorts] == [(10, 2), (11, 1)]
    assert cohorts[0].retained == [pytest.approx(0.5)] and cohorts[1].retained == [None]
    summary = lapsed_summary(now=now + timedelta(days=30))  # October is then over 60 days back
    assert (summary.customers, summary.active, summary.lapsed) == (3, 2, 1)


def test_manager_sees_segments_report_and_runs_a_campaign(
    client: Client, manager_user: Any, make_member: Callable[..., Member], drip: CouponTemplate
) -> None:
    member = make_member("Visitor")
    visits(member, days_ago=[1, 20, 50])
    segments_compute()
    campaign = Campaign.objects.create(name="Hi", kind=Campaign.Kind.WELCOME, coupon_template=drip, holdout_percent=0)
    client.force_login(manager_user)
    for url in [
        "/admin/campaigns/membersegment/",
        "/admin/campaigns/membersegment/retention/",
        "/admin/campaigns/campaign/",
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        "/admin/campaigns/campaignentry/",
        "/admin/campaigns/campaign/add/?kind=win_back&days=60",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Retention and churn" in client.get("/admin/campaigns/membersegment/retention/").content.decode()
    response = client.post(
        "/admin/campaigns/campaign/", {"action": "run_now", "_selected_action": [campaign.pk]}, follow=True
    )
    assert "1 sent, 0 held out" in response.content.decode()
    assert member.coupons.count() == 1


def test_member_export_includes_segment_and_campaigns(
    member_client: Client, member: Member, drip: CouponTemplate
) -> None:
    visits(member, days_ago=[1])
    segments_compute()
    Campaign.objects.create(name="Hi", kind=Campaign.Kind.WELCOME, coupon_template=drip, holdout_percent=0)
    campaigns_run()
    data = member_client.get("/me/privacy/export.json").json()
    assert data["segment"]["segment"] == Segment.NEW
    assert data["campaigns"][0]["campaign"] == "Hi"


@pytest.mark.parametrize("members", [2, 12])
def test_manager_pages_make_a_pinned_number_of_queries(
    client: Client,
    manager_user: Any,
    make_member: Callable[..., Member],
    drip: CouponTemplate,
    members: int,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(members):
        visits(make_member(f"P{i}"), days_ago=[1, 40, 80 + i])
    segments_compute()
    for kind in (Campaign.Kind.WELCOME, Campaign.Kind.WIN_BACK):
        Campaign.objects.create(name=kind, kind=kind, coupon_template=drip, holdout_percent=10)
    campaigns_run()
    client.force_login(manager_user)
    # The campaign list reads each campaign's results with one query (a page
    # holds at most 25 campaigns); every other figure is a fixed set of aggregates
    # (the front page adds two: open alerts and wallet pauses in force; one
    # for follow-ups; seven for its charts). The retention report's charts add
    # the campaigns' list, one query per campaign shown (two here, at most
    # eight) and the segment counts. The segment list adds the latest CLV fit.
    for url, queries in [
        ("/admin/", 24 + 1 + 7),
        ("/admin/campaigns/membersegment/", 15 + 1),
        ("/admin/campaigns/membersegment/retention/", 13 + 4),
        ("/admin/campaigns/campaign/", 11 + 2),
    ]:
        client.get(url)
        with django_assert_max_num_queries(queries):
            assert client.get(url).status_code == 200, url


def test_retention_counts_a_member_seen_before_the_window_as_not_new_in_two_queries_each(
    make_member: Callable[..., Member], django_assert_num_queries: Any
) -> None:
    now = timezone.make_aware(datetime(2026, 11, 20, 12))
    old, fresh = make_member("old"), make_member("fresh")
    # "old" first came in March, before a two-month window, then came back in November.
    Visit.objects.create(member=old, at=timezone.make_aware(datetime(2026, 3, 5, 12)), reference="mar")
    for member in (old, fresh):
        for day in (2, 9):  # two visits in a month still make one active member
            Visit.objects.create(
                member=member, at=timezone.make_aware(datetime(2026, 11, day, 12)), reference=f"n{day}"
            )
    # Which months are summarised (none here), then every month live in one query.
    with django_assert_num_queries(2):
        rows = monthly_activity(months=2, now=now)
    assert [(r.active, r.new, r.returning, r.churned) for r in rows] == [(0, 0, 0, 0), (2, 1, 0, 0)]
    with django_assert_num_queries(2):
        cohorts = cohort_retention(months=2, now=now)
    assert [(c.month.month, c.size, c.retained) for c in cohorts] == [(10, 0, [None]), (11, 1, [None])]


def test_retention_csv_has_each_table_of_the_report(
    client: Client, manager_user: Any, make_member: Callable[..., Member], drip: CouponTemplate
) -> None:
    back, gone = make_member("Back"), make_member("Gone")
    visits(back, days_ago=[1, 20])
    visits(gone, days_ago=[100])
    segments_compute()
    campaign = Campaign.objects.create(name="Hi", kind=Campaign.Kind.WELCOME, coupon_template=drip, holdout_percent=0)
    campaign_run(campaign=campaign)
    client.force_login(manager_user)
    url = "/admin/campaigns/membersegment/retention/"
    assert 'href="?format=csv"' in client.get(url).content.decode()
    response = client.get(url + "?format=csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[1:4] == [["Members who ever paid", "2"], ["Active", "1"], ["Lapsed", "1"]]
    this_month = timezone.localdate().strftime("%Y-%m")
    assert [row for row in rows if row[:1] == [this_month]][0][1] == "1"  # active this month: Back
    assert ["Hi", "2", "0.0", "0", ""] in rows  # both entered, none came back yet, no holdout
    segments = dict(MemberSegment.Segment.choices)
    counted = {row[0]: row[1] for row in rows[rows.index(["Segment", "Members"]) + 1 :]}
    assert sum(int(n) for n in counted.values()) == 2 and set(counted) == {str(v) for v in segments.values()}
    client.logout()
    assert client.get(url + "?format=csv").status_code == 302


def test_segment_list_csv_lists_the_filtered_members_with_their_scores(
    client: Client, manager_user: Any, make_member: Callable[..., Member]
) -> None:
    regular, gone = make_member("Regular"), make_member("Gone")
    visits(regular, days_ago=[1, 8, 15, 22])
    visits(gone, days_ago=[300])
    segments_compute()
    kept = MemberSegment.objects.get(member=regular)
    client.force_login(manager_user)
    url = "/admin/campaigns/membersegment/"
    assert 'format=csv"' in client.get(url).content.decode()
    everyone = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode()[1:])))
    assert len(everyone) == 3 and everyone[0][:2] == ["Card number", "Segment"]
    # The list's filter applies: one segment, one member, not yet scored by the CLV model.
    response = client.get(url, {"segment": kept.segment, "format": "csv"})
    body = response.content.decode()
    assert body.startswith("\ufeff") and "attachment" in response["Content-Disposition"]
    header, row = csv.reader(io.StringIO(body[1:]))
    assert row[:8] == [
        regular.card_number,
        kept.get_segment_display(),
        str(kept.r_score),
        str(kept.f_score),
        str(kept.m_score),
        "1",
        "4",
        "600.00",
    ]
    assert row[8:] == ["", "", "", ""]
    # A filter on no such field goes back to the list, as the list itself does.
    assert client.get(url, {"nonsense": "1", "format": "csv"})["Location"] == f"{url}?e=1"
