"""The campaigns' report figures as charts (cafe_loyalty.core.charts): monthly
activity, cohort retention, members per segment, campaign against holdout,
A/B variants with their 95 % ranges. Built per request, in the reader's language."""

from __future__ import annotations

from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from cafe_loyalty.core.charts import Chart, bar_chart, hbar_chart, heat_map
from campaigns.models import MemberSegment
from campaigns.reports import CampaignComparison, Cohort, MonthActivity, VariantResult


def _month(value: date) -> str:
    return formats.date_format(value, "Y-m")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def activity_chart(months: list[MonthActivity]) -> Chart:
    last = months[-1] if months else None
    summary = (
        _("This month: %(active)s active members, %(new)s new, %(churned)s churned since last month.")
        % {"active": last.active, "new": last.new, "churned": last.churned}
        if last
        else ""
    )
    return bar_chart(
        title=_("Members per month: active, new and churned"),
        summary=summary,
        categories=[_month(row.month) for row in months],
        series=[
            (_("Active"), [row.active for row in months]),
            (_("New"), [row.new for row in months]),
            (_("Churned"), [row.churned for row in months]),
        ],
        category_header=_("Month"),
        label_every=2 if len(months) > 8 else 1,
    )


def cohort_chart(cohorts: list[Cohort]) -> Chart:
    offsets = len(cohorts[0].retained) if cohorts else 0
    best = max(
        ((c, share) for c in cohorts for share in c.retained[:1] if share is not None), key=lambda p: p[1], default=None
    )
    summary = (
        _("Best first-month retention: %(share)s of the members who first came in %(month)s.")
        % {"share": _percent(best[1]), "month": _month(best[0].month)}
        if best
        else _("No cohort has a month after its first yet.")
    )
    return heat_map(
        title=_("Cohort retention: share who came back, by month of first visit"),
        summary=summary,
        rows=[f"{_month(c.month)} ({c.size})" for c in cohorts],
        columns=[f"+{i}" for i in range(1, offsets + 1)],
        values=[c.retained for c in cohorts],
        fmt=_percent,
        row_header=_("First visit (members)"),
    )


def segments_chart(counts: dict[str, int]) -> Chart:
    labels = dict(MemberSegment.Segment.choices)
    biggest = max(counts.items(), key=lambda item: item[1], default=None)
    summary = (
        _("%(total)s members in segments; the largest is %(segment)s with %(count)s.")
        % {"total": sum(counts.values()), "segment": labels[biggest[0]], "count": biggest[1]}
        if biggest and biggest[1]
        else _("No segments computed yet.")
    )
    return hbar_chart(
        title=_("Members per segment"),
        summary=summary,
        categories=[str(labels[key]) for key in counts],
        series=[(_("Members"), list(counts.values()))],
        category_header=_("Segment"),
    )


def campaigns_chart(rows: list[CampaignComparison]) -> Chart:
    summary = "; ".join(
        _("%(campaign)s: %(sent)s of the sent group came back, %(held)s of the holdout")
        % {"campaign": row.campaign, "sent": _percent(row.treatment_rate), "held": _percent(row.holdout_rate)}
        for row in rows
    ) or _("No campaign has entered anyone yet.")
    return hbar_chart(
        title=_("Campaigns: came back after the coupon, against the holdout"),
        summary=summary,
        categories=[row.campaign for row in rows],
        series=[
            (_("Sent the coupon"), [row.treatment_rate or 0 for row in rows]),
            (_("Holdout (sent nothing)"), [row.holdout_rate or 0 for row in rows]),
        ],
        fmt=_percent,
        category_header=_("Campaign"),
        label_width=230,
    )


def rate_percent(value: float) -> str:
    """A rate with one decimal, in the reader's number format: the variants'
    ranges differ by less than a whole percent when many members took part.
    Rounded first: number_format cuts the digits off (69.89 would read 69.8)."""
    return formats.number_format(round(value * 100, 1), decimal_pos=1) + "%"


def variants_chart(results: list[VariantResult]) -> Chart:
    """Each group's came-back rate, the holdout first, with its Wilson 95 %
    range as an error bar: where two ranges overlap a lot, the groups may well
    do the same (the report's verdicts say whether the difference is significant)."""
    summary = "; ".join(
        _("%(group)s: %(rate)s of %(members)s came back (95%% range %(low)s to %(high)s)")
        % {
            "group": row.name,
            "rate": rate_percent(row.rate or 0),
            "members": row.members,
            "low": rate_percent(row.interval.low),
            "high": rate_percent(row.interval.high),
        }
        if row.interval is not None
        else _("%(group)s: no members yet") % {"group": row.name}
        for row in results
    )
    return hbar_chart(
        title=_("Came back, each group against the holdout, with their ranges (95%)"),
        summary=summary,
        categories=[row.name for row in results],
        series=[(_("Came back"), [row.rate or 0 for row in results])],
        fmt=rate_percent,
        category_header=_("Group"),
        label_width=200,
        errors=[[None if row.interval is None else (row.interval.low, row.interval.high) for row in results]],
        error_header=_("Range (95%)"),
    )
