"""The nightly CLV job (`manage.py compute_clv`): fit, score, store.

One aggregate query reads every member's visit history; the fit and the
scores are numpy over all members at once. Scores per member:

- p_alive: the probability they are still a customer (BG/NBD);
- expected_visits_90d: visits expected in the next 90 days;
- clv_12m: visits expected in the next 52 weeks × expected spend per visit
  (Gamma-Gamma), in minor units. Not discounted: over one year a cafe's cost
  of money moves the figure by a few percent, less than the model's own error.
- high_value_at_risk: a 12-month value in the top quarter of members AND
  p_alive under one half — worth most, and more likely gone than not; the
  "High value, risk of leaving" campaign audience.

Visits are counted as they are (two coffees on one day are two visits).
Past FIT_SAMPLE members the models are fitted on a fixed-seed random sample of
that many (every member is still scored): at 30,000 the parameters move by a
few percent from sample to sample, well inside the model's own error, and the
fit takes a third of the time it would on 100,000.
Calibration: the model is fitted again on visits before the last 90 days and
its prediction of the visits in those 90 days is compared with what members
did, in total and by how often they had visited before.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from numpy.typing import NDArray

from cafe_loyalty.core.bulk import upsert_rows
from campaigns.clv.model import Array, BgNbd, FitFailed, GammaGamma, bgnbd_fit, gamma_gamma_fit
from campaigns.models import ClvFit, MemberValue
from campaigns.selectors import VisitHistory, visit_history_by_member

HOLDOUT = timedelta(days=90)
WEEK_SECONDS = 7 * 24 * 3600
HIGH_VALUE_PERCENTILE = 75
AT_RISK_P_ALIVE = 0.5
# Repeat visits before the holdout, grouped for the calibration table: (label, lowest, highest).
CALIBRATION_GROUPS = [("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3–4", 3, 4), ("5–9", 5, 9), ("10–19", 10, 19)]
CALIBRATION_TOP = ("20+", 20)
FIT_SAMPLE = 30_000
COLUMNS = ["member_id", "p_alive", "expected_visits_90d", "clv_12m", "high_value_at_risk", "fitted_at"]


@dataclass(frozen=True)
class ClvRun:
    fit: ClvFit | None  # None: too little history to fit


def fit_sample(size: int) -> NDArray[np.intp] | slice:
    """Which members the models are fitted on: all, or FIT_SAMPLE of them (fixed seed)."""
    if size <= FIT_SAMPLE:
        return slice(None)
    return np.sort(np.random.default_rng(0).choice(size, FIT_SAMPLE, replace=False))


def calibration_report(model: BgNbd, *, x: Array, t_x: Array, T: Array, actual: Array, weeks: float) -> dict:
    """Predicted against actual visits in the holdout, in total and per group of repeat visits."""
    predicted = model.expected_visits(weeks, x, t_x, T)
    groups = [*CALIBRATION_GROUPS, (CALIBRATION_TOP[0], CALIBRATION_TOP[1], np.inf)]
    rows = []
    for label, low, high in groups:
        chosen = (x >= low) & (x <= high)
        rows.append(
            {
                "label": label,
                "members": int(chosen.sum()),
                "predicted": round(float(predicted[chosen].sum()), 1),
                "actual": int(actual[chosen].sum()),
            }
        )
    return {
        "members": int(x.size),
        "predicted": round(float(predicted.sum()), 1),
        "actual": int(actual.sum()),
        "groups": rows,
    }


def _calibrate(history: VisitHistory, first: Array, cut: float, holdout_weeks: float) -> dict | None:
    before = history.visits_before
    known = before > 0  # members whose first visit came before the holdout
    if not known.any():
        return None
    last_before = history.last_before[known] / WEEK_SECONDS
    x = before[known] - 1
    t_x = last_before - first[known]
    T = cut - first[known]
    actual = history.visits[known] - before[known]
    chosen = fit_sample(x.size)
    try:
        model = bgnbd_fit(x[chosen], t_x[chosen], T[chosen])
    except FitFailed:
        return None
    return calibration_report(model, x=x, t_x=t_x, T=T, actual=actual, weeks=holdout_weeks)


def clv_compute(*, now: datetime | None = None) -> ClvRun:
    """Fit both models on every visit up to `now`, score every member who
    has visited, store the scores and the fit. Rows of anonymised members are
    removed (a deleted account keeps no profile). Safe to rerun."""
    now = now or timezone.now()
    cut_at = now - HOLDOUT
    history = visit_history_by_member(now=now, cut=cut_at)
    if not history.member_ids:
        return ClvRun(fit=None)
    visits = history.visits
    first = history.first / WEEK_SECONDS
    x, t_x = visits - 1, history.last / WEEK_SECONDS - first
    T = now.timestamp() / WEEK_SECONDS - first
    mean_spend = history.spend / visits
    chosen = fit_sample(x.size)
    repeat = x[chosen] > 0
    try:
        bgnbd = bgnbd_fit(x[chosen], t_x[chosen], T[chosen])
        spend_model = gamma_gamma_fit(visits[chosen][repeat], mean_spend[chosen][repeat])
    except FitFailed:
        return ClvRun(fit=None)
    holdout_weeks = HOLDOUT.total_seconds() / WEEK_SECONDS
    calibration = _calibrate(history, first, cut_at.timestamp() / WEEK_SECONDS, holdout_weeks)
    p_alive = np.clip(bgnbd.p_alive(x, t_x, T), 0.0, 1.0)
    in_90d = bgnbd.expected_visits(holdout_weeks, x, t_x, T)
    per_visit = spend_model.expected_spend(visits, mean_spend)
    clv = np.maximum(np.rint(bgnbd.expected_visits(52.0, x, t_x, T) * per_visit), 0)
    # A score the arithmetic could not give (a visit seconds old against a
    # degenerate fit) is left out rather than stored as a number it is not:
    # that member simply has no score until the next run.
    scored = np.isfinite(p_alive) & np.isfinite(in_90d) & np.isfinite(clv)
    member_ids = [member_id for member_id, ok in zip(history.member_ids, scored.tolist(), strict=True) if ok]
    p_alive, in_90d, clv = p_alive[scored], in_90d[scored], clv[scored]
    if not member_ids:
        return ClvRun(fit=None)
    at_risk = (clv >= np.percentile(clv, HIGH_VALUE_PERCENTILE)) & (p_alive < AT_RISK_P_ALIVE)
    return ClvRun(fit=_store(member_ids, bgnbd, spend_model, calibration, now, p_alive, in_90d, clv, at_risk))


def _store(
    member_ids: list[int],
    bgnbd: BgNbd,
    spend_model: GammaGamma,
    calibration: dict | None,
    now: datetime,
    *scores: Array,
) -> ClvFit:
    p_alive, in_90d, clv, at_risk = scores
    # One upsert over all rows (COPY on PostgreSQL): the ORM's bulk_create
    # spends more time building SQL than the database spends writing 100,000 rows.
    rows = zip(
        member_ids,
        p_alive.tolist(),
        in_90d.tolist(),
        clv.astype(np.int64).tolist(),
        at_risk.tolist(),
        itertools.repeat(connection.ops.adapt_datetimefield_value(now)),
        strict=False,
    )
    with transaction.atomic():
        fit = ClvFit.objects.create(
            fitted_at=now,
            members=len(member_ids),
            r=bgnbd.r,
            alpha=bgnbd.alpha,
            a=bgnbd.a,
            b=bgnbd.b,
            p=spend_model.p,
            q=spend_model.q,
            gamma=spend_model.v,
            holdout_days=HOLDOUT.days,
            calibration=calibration,
        )
        upsert_rows(MemberValue._meta.db_table, COLUMNS, rows, conflict=["member_id"])
        # Members not scored now (anonymised since) keep no old scores.
        MemberValue.objects.exclude(fitted_at=now).delete()
    return fit
