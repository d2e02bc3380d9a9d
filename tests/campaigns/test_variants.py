"""A/B variants (issue 17, item 11): stable weighted assignment, the holdout
gets nothing, each variant's coupon and message go out, the statistics match
hand-computed values, and the report says plainly whether a difference is
significant."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency

from campaigns.lifecycle import campaign_run, holdout_bucket, variant_pick
from campaigns.models import Campaign, CampaignEntry, CampaignVariant, CouponTemplate
from campaigns.report_charts import variants_chart
from campaigns.reports import campaign_variant_comparisons, campaign_variant_results
from campaigns.stats import proportion_interval, two_proportion_z_test
from members.models import Member, Notice, Visit

pytestmark = pytest.mark.django_db


# --- The statistics, against numbers worked out by hand ------------------------------


def test_two_proportion_z_test_matches_a_hand_computed_example() -> None:
    # 60 of 200 against 40 of 200: pooled rate 100/400 = 0.25;
    # SE = sqrt(0.25 × 0.75 × (1/200 + 1/200)) = 0.0433013; z = 0.10 / 0.0433013 = 2.3094;
    # p = 2 × (1 − Φ(2.3094)) = 0.02092. Unpooled SE = sqrt(0.3·0.7/200 + 0.2·0.8/200)
    # = 0.0430116, so the 95 % range of the difference is 0.10 ± 1.95996 × 0.0430116.
    test = two_proportion_z_test(converted_a=60, members_a=200, converted_b=40, members_b=200)
    assert test is not None
    assert test.difference == pytest.approx(0.10)
    assert test.z == pytest.approx(2.3094, abs=1e-4)
    assert test.p_value == pytest.approx(0.02092, abs=1e-5)
    assert (test.interval.low, test.interval.high) == (
        pytest.approx(0.01570, abs=1e-5),
        pytest.approx(0.18430, abs=1e-5),
    )
    assert test.significant


def test_a_small_difference_is_not_significant() -> None:
    # 45 of 200 against 40 of 200: pooled 0.2125, SE 0.040908, z = 0.6111, p = 0.5411.
    test = two_proportion_z_test(converted_a=45, members_a=200, converted_b=40, members_b=200)
    assert test is not None and test.p_value == pytest.approx(0.5411, abs=1e-4) and not test.significant


def test_wilson_interval_matches_a_hand_computed_example() -> None:
    # 60 of 200, z = 1.95996: centre (0.3 + z²/400) / (1 + z²/200) = 0.303768,
    # half z·sqrt(0.3·0.7/200 + z²/160000) / (1 + z²/200) = 0.063025.
    interval = proportion_interval(converted=60, members=200)
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(0.24074, abs=1e-4), pytest.approx(0.36679, abs=1e-4))
    assert proportion_interval(converted=0, members=0) is None
    nobody = proportion_interval(converted=0, members=10)
    assert nobody is not None and nobody.low == 0.0 and 0 < nobody.high < 0.35


def test_groups_that_all_or_never_convert_are_not_different() -> None:
    test = two_proportion_z_test(converted_a=10, members_a=10, converted_b=5, members_b=5)
    assert test is not None and test.p_value == pytest.approx(1.0) and not test.significant
    assert two_proportion_z_test(converted_a=1, members_a=0, converted_b=1, members_b=5) is None


@st.composite
def _two_groups(draw: Any) -> tuple[int, int, int, int]:
    members_a, members_b = draw(st.integers(1, 5_000)), draw(st.integers(1, 5_000))
    return draw(st.integers(0, members_a)), members_a, draw(st.integers(0, members_b)), members_b


@settings(max_examples=200, deadline=None)
@given(_two_groups())
def test_the_statistics_agree_with_scipys_own_tests(groups: tuple[int, int, int, int]) -> None:
    """The z-test is the 2×2 chi-square test without continuity correction
    (χ² = z²), and the Wilson interval is scipy's binomtest interval: the
    arithmetic written here agrees with both for any group sizes."""
    converted_a, members_a, converted_b, members_b = groups
    interval = proportion_interval(converted=converted_a, members=members_a)
    wilson = binomtest(converted_a, members_a).proportion_ci(confidence_level=0.95, method="wilson")
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(wilson.low, abs=1e-9), pytest.approx(wilson.high, abs=1e-9))
    # Everyone or no one converted: the chi-square table has an empty column (tested above).
    assume(0 < converted_a + converted_b < members_a + members_b)
    test = two_proportion_z_test(
        converted_a=converted_a, members_a=members_a, converted_b=converted_b, members_b=members_b
    )
    table = [[converted_a, members_a - converted_a], [converted_b, members_b - converted_b]]
    chi_square = chi2_contingency(table, correction=False)
    assert test is not None
    assert test.p_value == pytest.approx(chi_square.pvalue, rel=1e-7, abs=1e-12)
    assert test.z**2 == pytest.approx(chi_square.statistic, rel=1e-7, abs=1e-12)


# --- Assignment -----------------------------------------------------------------------


def test_variant_assignment_is_stable_and_follows_the_weights() -> None:
    variants = [CampaignVariant(pk=pk, name=name, weight=w) for pk, name, w in [(3, "A", 1), (5, "B", 1), (9, "C", 2)]]
    picks = [variant_pick(campaign_id=7, member_id=m, variants=variants) for m in range(1, 4001)]
    shares = Counter(v.name for v in picks if v is not None)
    assert shares["A"] / 4000 == pytest.approx(0.25, abs=0.03)
    assert shares["B"] / 4000 == pytest.approx(0.25, abs=0.03)
    assert shares["C"] / 4000 == pytest.approx(0.50, abs=0.03)
    # Stable: the same pair always gets the same variant, whatever order they are listed in.
    again = [variant_pick(campaign_id=7, member_id=m, variants=variants[::-1]) for m in range(1, 4001)]
    assert again == picks
    assert variant_pick(campaign_id=7, member_id=1, variants=[]) is None


@pytest.fixture
def drip() -> CouponTemplate:
    return CouponTemplate.objects.create(name="Free drip", kind=CouponTemplate.Kind.FREE_ITEM, scope_sku="drip")


@pytest.fixture
def pastry() -> CouponTemplate:
    return CouponTemplate.objects.create(name="Free pastry", kind=CouponTemplate.Kind.FREE_ITEM, scope_category="food")


def test_each_variant_sends_its_coupon_and_message_and_the_holdout_nothing(
    make_member: Callable[..., Member], drip: CouponTemplate, pastry: CouponTemplate
) -> None:
    members = [make_member(f"V{i}") for i in range(40)]
    campaign = Campaign.objects.create(
        name="Welcome",
        kind=Campaign.Kind.WELCOME,
        coupon_template=drip,
        message="Welcome, have a drip on us",
        holdout_percent=25,
    )
    a = CampaignVariant.objects.create(campaign=campaign, name="A", message="A: a free drip")
    b = CampaignVariant.objects.create(campaign=campaign, name="B", coupon_template=pastry)
    run = campaign_run(campaign=campaign)
    assert run.treatment + run.holdout == 40 and run.holdout > 0
    entries = list(CampaignEntry.objects.select_related("variant", "coupon__template"))
    for entry in entries:
        titles = list(Notice.objects.filter(member_id=entry.member_id, kind="offer").values_list("title", flat=True))
        if holdout_bucket(campaign_id=campaign.pk, member_id=entry.member_id) < 25:
            assert (entry.group, entry.variant, entry.coupon, titles) == ("holdout", None, None, [])
            continue
        expected = variant_pick(campaign_id=campaign.pk, member_id=entry.member_id, variants=[a, b])
        assert (entry.group, entry.variant) == ("treatment", expected)
        assert entry.coupon is not None
        # Besides the coupon's own "New coupon" notice, the variant's message, and only that.
        campaign_messages = [t for t in titles if t in {"A: a free drip", "Welcome, have a drip on us"}]
        if entry.variant == a:  # the campaign's coupon, its own message
            assert (entry.coupon.template, campaign_messages) == (drip, ["A: a free drip"])
        else:  # its own coupon, the campaign's message
            assert (entry.coupon.template, campaign_messages) == (pastry, ["Welcome, have a drip on us"])
    assert {e.variant for e in entries if e.group == "treatment"} == {a, b}
    assert campaign_run(campaign=campaign).treatment == 0  # reruns move nobody
    assert len(members) == CampaignEntry.objects.count()


def test_a_campaign_without_variants_works_as_before(make_member: Callable[..., Member], drip: CouponTemplate) -> None:
    for i in range(6):
        make_member(f"W{i}")
    campaign = Campaign.objects.create(name="Hi", kind=Campaign.Kind.WELCOME, coupon_template=drip, holdout_percent=0)
    assert campaign_run(campaign=campaign).treatment == 6
    assert set(CampaignEntry.objects.values_list("variant", "coupon__template")) == {(None, drip.pk)}
    results = campaign_variant_results(campaign=campaign)
    assert [(r.key, r.members) for r in results] == [("holdout", 0), ("implicit", 6)]


# --- The report -----------------------------------------------------------------------


def enter(
    campaign: Campaign,
    make_member: Callable[..., Member],
    *,
    variant: CampaignVariant | None,
    came_back: int,
    stayed_away: int,
) -> None:
    """Entries made directly (the split is the test's, not the hash's); the
    ones who came back visit two days after entering."""
    now = timezone.now() - timedelta(days=20)
    group = "holdout" if variant is None else "treatment"
    for i in range(came_back + stayed_away):
        member = make_member()
        CampaignEntry.objects.create(campaign=campaign, member=member, group=group, variant=variant, entered_at=now)
        if i < came_back:
            Visit.objects.create(member=member, at=now + timedelta(days=2), reference=f"back:{member.pk}")


@pytest.fixture
def ab_campaign(make_member: Callable[..., Member], drip: CouponTemplate) -> Campaign:
    """Holdout 2 of 20 came back; A 18 of 20; B 15 of 20."""
    campaign = Campaign.objects.create(name="Spring", kind=Campaign.Kind.WELCOME, coupon_template=drip)
    a = CampaignVariant.objects.create(campaign=campaign, name="A")
    b = CampaignVariant.objects.create(campaign=campaign, name="B", message="Spring is here")
    enter(campaign, make_member, variant=None, came_back=2, stayed_away=18)
    enter(campaign, make_member, variant=a, came_back=18, stayed_away=2)
    enter(campaign, make_member, variant=b, came_back=15, stayed_away=5)
    return campaign


def test_variant_results_and_comparisons(ab_campaign: Campaign) -> None:
    results = campaign_variant_results(campaign=ab_campaign)
    assert [(r.name, r.members, r.converted) for r in results] == [
        ("Holdout (nothing sent)", 20, 2),
        ("A", 20, 18),
        ("B", 20, 15),
    ]
    sentences = [c.sentence for c in campaign_variant_comparisons(results)]
    # A vs holdout: z = 5.06; B vs holdout: z = 4.14; A vs B: 0.90 vs 0.75,
    # pooled 0.825, SE 0.12016, z = 1.2484, p = 0.2119.
    assert sentences == [
        "A brought back more members than Holdout (nothing sent), by 80.0 percentage points;"
        " the difference is significant (p < 0.001).",
        "B brought back more members than Holdout (nothing sent), by 65.0 percentage points;"
        " the difference is significant (p < 0.001).",
        "The difference between A and B is not significant (p = 0.21).",
    ]


def test_variant_report_page_says_what_is_and_is_not_significant(
    client: Client, manager_user: Any, ab_campaign: Campaign, django_assert_max_num_queries: Any
) -> None:
    client.force_login(manager_user)
    url = f"/admin/campaigns/campaign/{ab_campaign.pk}/variants/"
    # The admin's own (session, user, its authenticator, the sidebar's apps)
    # plus three: the campaign, the counts per group and the variants.
    with django_assert_max_num_queries(11):
        page = client.get(url).content.decode()
    assert "The difference between A and B is not significant (p = 0.21)." in page
    assert "the difference is significant (p &lt; 0.001)" in page
    assert "90.0%" in page and "69.9%–97.2%" in page  # A: 18 of 20, Wilson: 0.8356 ± 0.1366
    change = client.get(f"/admin/campaigns/campaign/{ab_campaign.pk}/change/").content.decode()
    assert url in change and 'name="variants-0-name"' in change  # the link and the inline
    assert "不顯著" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert 'data-testid="chart-variants"' in page and 'class="whisker"' in page
    assert 'href="?format=csv"' in page


def test_variants_chart_draws_each_rate_with_its_wilson_range(ab_campaign: Campaign) -> None:
    chart = variants_chart(campaign_variant_results(campaign=ab_campaign))
    holdout, a, b = chart.bars
    assert a.width == pytest.approx(9 * holdout.width) and b.width == pytest.approx(7.5 * holdout.width)
    assert all(bar.whisker for bar in chart.bars)  # every group has members, so a range
    # The picture's error bar is the table's range: A is 18 of 20, Wilson 69.9 %–97.2 %.
    assert chart.table.headers == ["Group", "Came back", "Range (95%)"]
    assert chart.table.rows[1] == ["A", "90.0%", "69.9%–97.2%"]
    assert "A: 90.0% of 20 came back (95% range 69.9% to 97.2%)" in chart.summary


def test_a_group_without_members_has_no_error_bar(drip: CouponTemplate) -> None:
    campaign = Campaign.objects.create(name="Quiet", kind=Campaign.Kind.WELCOME, coupon_template=drip)
    chart = variants_chart(campaign_variant_results(campaign=campaign))
    assert [bar.whisker for bar in chart.bars] == ["", ""] and chart.empty
    assert chart.table.rows[0][-1] == "—" and "no members yet" in chart.summary


def test_variant_report_csv_has_each_group_and_comparison(
    client: Client, manager_user: Any, ab_campaign: Campaign
) -> None:
    client.force_login(manager_user)
    response = client.get(f"/admin/campaigns/campaign/{ab_campaign.pk}/variants/?format=csv")
    assert f'filename="variants-{ab_campaign.pk}.csv"' in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("\ufeff")  # Excel reads UTF-8 (Chinese names) only with the mark
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["Spring: variants"] and rows[1] == ["Conversion days", "14"]
    groups = {row[0]: row[1:] for row in rows[4:7]}
    assert groups["A"] == ["20", "18", "0.9", "0.699", "0.9721"]
    assert groups["Holdout (nothing sent)"][:3] == ["20", "2", "0.1"]
    between = next(row for row in rows if row[:1] == ["A – B"])
    assert between[1] == "0.15" and between[4] == "0.2119"
    assert between[5] == "The difference between A and B is not significant (p = 0.21)."
    client.logout()
    assert client.get(f"/admin/campaigns/campaign/{ab_campaign.pk}/variants/?format=csv").status_code == 302
