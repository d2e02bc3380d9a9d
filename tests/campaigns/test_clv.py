"""The nightly CLV job: scores stored per member, the holdout calibration,
the "high value, risk of leaving" audience, and the admin pages showing them."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import Min
from django.test import Client
from django.utils import timezone

from cafe_loyalty.core.money import format_money
from campaigns.clv import scoring
from campaigns.clv.scoring import AT_RISK_P_ALIVE, HOLDOUT, clv_compute
from campaigns.lifecycle import campaign_run
from campaigns.models import Campaign, ClvFit, CouponTemplate, MemberValue
from campaigns.segments import segments_compute
from members.models import Member, Visit
from members.services import consent_record, member_anonymise

pytestmark = pytest.mark.django_db


def add_visits(member: Member, times: list[datetime], amount: int) -> None:
    Visit.objects.bulk_create(
        Visit(member=member, at=at, amount=amount, reference=f"v:{member.pk}:{i}") for i, at in enumerate(times)
    )


def cafe_population(make_member: Callable[..., Member], *, now: datetime, members: int = 300) -> None:
    """Members behaving as BG/NBD says (rate λ ~ Gamma(2, 4)/week, leaving after
    a visit with p ~ Beta(1, 8)), joined over the last year; fixed seed."""
    rng = np.random.default_rng(5)
    for i in range(members):
        joined = now - timedelta(weeks=float(rng.uniform(1, 52)))
        rate, leave = rng.gamma(2.0, 1 / 4.0), rng.beta(1.0, 8.0)
        times, at = [joined], joined
        while True:
            at += timedelta(weeks=float(rng.exponential(1 / rate)))
            if at > now:
                break
            times.append(at)
            if rng.random() < leave:
                break
        add_visits(make_member(f"C{i}"), times, amount=int(rng.gamma(6.0, 2_000.0)) * 100 // 100)


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0)


def every(days: float, *, first: datetime, last: datetime) -> list[datetime]:
    times, at = [], first
    while at <= last:
        times.append(at)
        at += timedelta(days=days)
    return times


def test_compute_clv_scores_every_visitor_in_constant_queries(
    make_member: Callable[..., Member], now: datetime, django_assert_max_num_queries: Any
) -> None:
    cafe_population(make_member, now=now, members=120)
    regular, gone, newcomer, deleted = (make_member(n) for n in ("regular", "gone", "newcomer", "deleted"))
    add_visits(regular, every(3, first=now - timedelta(days=300), last=now - timedelta(days=1)), amount=15_000)
    add_visits(gone, every(3, first=now - timedelta(days=300), last=now - timedelta(days=150)), amount=15_000)
    add_visits(newcomer, [now - timedelta(days=2)], amount=9_000)
    add_visits(deleted, [now - timedelta(days=5), now - timedelta(days=2)], amount=9_000)
    member_anonymise(member=deleted)
    # Read visits (1), save the fit, upsert the scores in batches of 2,000, drop stale rows, in a transaction.
    with django_assert_max_num_queries(7):
        fit = clv_compute(now=now).fit
    assert fit is not None and fit.members == 123 == MemberValue.objects.count()
    values = {v.member_id: v for v in MemberValue.objects.all()}
    assert deleted.pk not in values
    assert values[regular.pk].p_alive > 0.95 and values[gone.pk].p_alive < 0.01
    assert values[newcomer.pk].p_alive == 1.0  # one visit: no chance yet to have left
    # A regular every third day is expected about 30 times in 90 days.
    assert 20 < values[regular.pk].expected_visits_90d < 31
    assert values[regular.pk].clv_12m > 100 * values[gone.pk].clv_12m
    assert values[regular.pk].clv_12m > values[newcomer.pk].clv_12m > 0
    # The audience rule holds row by row: top quarter of value and more likely gone than not.
    clvs = sorted(v.clv_12m for v in values.values())
    quartile = np.percentile(clvs, 75)
    for value in values.values():
        assert value.high_value_at_risk == (value.clv_12m >= quartile and value.p_alive < AT_RISK_P_ALIVE)


def test_calibration_compares_the_holdout_prediction_with_actual_visits(
    make_member: Callable[..., Member], now: datetime
) -> None:
    cafe_population(make_member, now=now)
    fit = clv_compute(now=now).fit
    assert fit is not None and fit.calibration is not None
    cut = now - HOLDOUT
    known = Visit.objects.values("member").annotate(first=Min("at")).filter(first__lt=cut).values("member")
    actual = Visit.objects.filter(member__in=known, at__gte=cut, at__lte=now).count()
    calibration = fit.calibration
    assert calibration["actual"] == actual > 100
    assert calibration["members"] == known.count()
    groups = calibration["groups"]
    assert sum(g["members"] for g in groups) == calibration["members"]
    assert sum(g["actual"] for g in groups) == actual
    assert sum(g["predicted"] for g in groups) == pytest.approx(calibration["predicted"], abs=0.5)
    # Fitted on visits before the holdout only, the model predicts the holdout's visits within 15%.
    assert calibration["predicted"] == pytest.approx(actual, rel=0.15)
    # The population's parameters are near those it was drawn from (λ ~ Gamma(2, 4), p ~ Beta(1, 8)).
    assert fit.r / fit.alpha == pytest.approx(0.5, rel=0.3)


def test_too_little_history_fits_nothing_and_says_so(make_member: Callable[..., Member], now: datetime) -> None:
    add_visits(make_member("once"), [now - timedelta(days=3)], amount=5_000)
    assert clv_compute(now=now).fit is None
    out = io.StringIO()
    call_command("compute_clv", stdout=out)
    assert "Not enough visit history" in out.getvalue()
    assert not ClvFit.objects.exists() and not MemberValue.objects.exists()


def test_rerun_replaces_scores_and_drops_deleted_accounts(make_member: Callable[..., Member], now: datetime) -> None:
    cafe_population(make_member, now=now, members=60)
    clv_compute(now=now)
    leaving = Member.objects.filter(visits__isnull=False).first()
    assert leaving is not None
    member_anonymise(member=leaving)
    assert not MemberValue.objects.filter(member=leaving).exists()  # at once, not next night
    out = io.StringIO()
    call_command("compute_clv", stdout=out)
    assert "Scored 59 member(s)" in out.getvalue()
    assert MemberValue.objects.count() == 59 and not MemberValue.objects.filter(member=leaving).exists()
    assert ClvFit.objects.count() == 2


@pytest.fixture
def drip() -> CouponTemplate:
    return CouponTemplate.objects.create(name="Free drip", kind=CouponTemplate.Kind.FREE_ITEM, scope_sku="drip")


def big_spender_drifting(make_member: Callable[..., Member], name: str, *, now: datetime) -> Member:
    """Every other day for a year at a high spend, then nothing for two weeks:
    still worth much (if they come back they come often), but more likely gone."""
    member = make_member(name)
    add_visits(member, every(2, first=now - timedelta(days=400), last=now - timedelta(days=15)), amount=40_000)
    return member


def test_high_value_at_risk_audience_reaches_drifting_big_spenders_who_agreed(
    make_member: Callable[..., Member], now: datetime, drip: CouponTemplate
) -> None:
    cafe_population(make_member, now=now, members=120)
    agreed = big_spender_drifting(make_member, "agreed", now=now)
    silent = big_spender_drifting(make_member, "silent", now=now)
    consent_record(member=agreed, channel="email", purpose="personalised", granted=True)
    clv_compute(now=now)
    flagged = set(MemberValue.objects.filter(high_value_at_risk=True).values_list("member_id", flat=True))
    assert {agreed.pk, silent.pk} <= flagged
    campaign = Campaign.objects.create(
        name="Miss you", kind=Campaign.Kind.HIGH_VALUE_AT_RISK, coupon_template=drip, holdout_percent=0
    )
    run = campaign_run(campaign=campaign, now=now)
    assert run.treatment == 1
    assert set(campaign.entries.values_list("member_id", flat=True)) == {agreed.pk}


def test_manager_sees_scores_on_member_page_segment_list_and_fit(
    client: Client, manager_user: Any, make_member: Callable[..., Member], now: datetime
) -> None:
    cafe_population(make_member, now=now, members=60)
    segments_compute(now=now)
    fit = clv_compute(now=now).fit
    assert fit is not None and fit.calibration is not None
    value = MemberValue.objects.select_related("member").order_by("-clv_12m").first()
    assert value is not None
    client.force_login(manager_user)
    page = client.get(f"/admin/members/member/{value.member_id}/change/").content.decode()
    assert "Predicted value (CLV)" in page and f"{value.p_alive * 100:.0f}%" in page
    assert f">{value.expected_visits_90d:.1f}<" in page
    # Sorted by the 12-month value column, highest first: the top member leads the list.
    listing = client.get("/admin/campaigns/membersegment/?o=-9").content.decode()
    assert "12-month value" in listing and "Visits next 90 days" in listing
    rows = listing.split('<table id="result_list">')[1].split("<tbody>")[1]
    assert rows.index(format_money(value.clv_12m)) < rows.index("<tr", rows.index("<tr") + 1)
    assert "Model and calibration" in listing
    detail = client.get(f"/admin/campaigns/clvfit/{fit.pk}/change/").content.decode()
    assert "Repeat visits before the holdout" in detail and str(fit.calibration["actual"]) in detail
    filtered = client.get("/admin/campaigns/membersegment/?member__value__high_value_at_risk__exact=1")
    assert filtered.status_code == 200


def test_a_large_programme_is_fitted_on_a_sample_and_everyone_is_scored(
    make_member: Callable[..., Member], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    cafe_population(make_member, now=now, members=120)
    whole = clv_compute(now=now).fit
    monkeypatch.setattr(scoring, "FIT_SAMPLE", 80)
    sampled = clv_compute(now=now).fit
    assert whole is not None and sampled is not None
    assert sampled.members == whole.members == 120 == MemberValue.objects.filter(fitted_at=now).count()
    assert sampled.r != whole.r  # fitted on 80 of the 120
    assert sampled.r == pytest.approx(whole.r, rel=0.5)


def test_member_export_includes_their_clv_scores(
    member_client: Client, member: Member, make_member: Callable[..., Member], now: datetime
) -> None:
    assert member_client.get("/me/privacy/export.json").json()["value"] is None  # not scored yet
    cafe_population(make_member, now=now, members=60)
    add_visits(member, every(7, first=now - timedelta(days=200), last=now - timedelta(days=3)), amount=15_000)
    clv_compute(now=now)
    row = MemberValue.objects.get(member=member)
    assert member_client.get("/me/privacy/export.json").json()["value"] == {
        "probability_still_a_customer": row.p_alive,
        "expected_visits_90_days": row.expected_visits_90d,
        "value_12_months_minor_units": row.clv_12m,
        "high_value_at_risk_of_leaving": row.high_value_at_risk,
        "computed_at": now.isoformat(),
    }


def test_a_score_the_arithmetic_cannot_give_is_left_out_not_stored(
    make_member: Callable[..., Member], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen with the demo data: a visit seconds old against a fit on a handful of
    # members gave a NaN value, which became int64's minimum and broke the
    # not-negative check. Such a member gets no score this run; the rest do.
    cafe_population(make_member, now=now, members=120)  # 40 gave a fit that wandered run to run
    newcomer = make_member("newcomer")
    add_visits(newcomer, [now - timedelta(seconds=5)], amount=12_345)
    real_spend = scoring.GammaGamma.expected_spend

    def spend_nan_for_one_visit(self: Any, visits: np.ndarray, mean_spend: np.ndarray) -> np.ndarray:
        spend = real_spend(self, visits, mean_spend)
        return np.where(mean_spend == 12_345, np.nan, spend)

    monkeypatch.setattr(scoring.GammaGamma, "expected_spend", spend_nan_for_one_visit)
    fit = clv_compute(now=now).fit
    assert fit is not None
    scored = set(MemberValue.objects.values_list("member_id", flat=True))
    assert newcomer.pk not in scored and len(scored) == fit.members == 120
