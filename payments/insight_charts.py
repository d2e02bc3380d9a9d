"""The repurchase, offers and recommendations reports' figures as charts
(cafe_loyalty.core.charts), built per request in the reader's language."""

from __future__ import annotations

import unicodedata

from django.utils import formats
from django.utils.translation import gettext as _

from cafe_loyalty.core.charts import Chart, bar_chart, hbar_chart
from cafe_loyalty.core.money import format_money
from campaigns.offer_report import OfferCounts, OffersReport
from campaigns.report_charts import rate_percent
from campaigns.stats import proportion_interval
from payments.recommendations.results import GroupResult, RecommendationResults
from payments.selectors.repurchase import RepurchaseReport, bucket_labels

LABEL_WIDTH = 230  # room for an offer's name left of its bar


def percent(share: float | None) -> str:
    return "—" if share is None else formats.number_format(share * 100, decimal_pos=0) + "%"


def days_text(days: float | None) -> str:
    return "—" if days is None else formats.number_format(days, decimal_pos=0 if days == int(days) else 1)


def fit(text: str, width: float = LABEL_WIDTH) -> str:
    """`text` cut to what fits left of the bars (about 7 px a letter, twice
    that for a Chinese character), with an ellipsis; the report's tables keep it whole."""
    room, used = int((width - 12) / 7), 0
    for index, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > room:
            return text[: max(index - 1, 0)] + "…"
    return text


def window_labels() -> list[str]:
    return [_("Within %(days)s days") % {"days": days} for days in (30, 60, 90)]


# --- Repurchase --------------------------------------------------------------------


def came_back_chart(report: RepurchaseReport) -> Chart:
    total = report.total
    rows = [total, *report.stores] if len(report.stores) > 1 else [total]
    thirty = total.came_back[0]
    summary = (
        _("%(share)s of %(counted)s members came back within 30 days of their first visit in the period.")
        % {"share": percent(thirty.share), "counted": thirty.counted}
        if thirty.counted
        else _("No member's 30 days have passed yet.")
    )
    return bar_chart(
        title=_("Members who came back"),
        summary=summary,
        categories=window_labels(),
        series=[(row.name, [c.share or 0 for c in row.came_back]) for row in rows],
        fmt=percent,
        category_header=_("Came back"),
    )


def gaps_chart(report: RepurchaseReport) -> Chart:
    total = report.total
    summary = (
        _("Median %(median)s days between visits, over %(count)s visits.")
        % {"median": days_text(total.median_gap), "count": total.gap_total}
        if total.gap_total
        else _("No repeat visits in this period.")
    )
    return bar_chart(
        title=_("Days between visits"),
        summary=summary,
        categories=bucket_labels(),
        series=[(_("Visits"), total.histogram)],
        fmt=lambda v: formats.number_format(v, decimal_pos=0 if v == int(v) else 1),
        category_header=_("Days since the visit before"),
    )


def tiers_chart(report: RepurchaseReport) -> Chart:
    return hbar_chart(
        title=_("Came back within 30 days, by tier"),
        summary="; ".join(f"{row.name}: {percent(row.came_back[0].share)}" for row in report.tiers)
        or _("No visits in this period."),
        categories=[fit(row.name, 150) for row in report.tiers],
        series=[(_("Within 30 days"), [row.came_back[0].share or 0 for row in report.tiers])],
        fmt=percent,
        category_header=_("Tier"),
        label_width=150,
    )


# --- Offers ------------------------------------------------------------------------


def offers_cost_chart(report: OffersReport) -> Chart:
    rows = [
        *((_("Coupon: %(name)s") % {"name": row.name}, row.discount) for row in report.coupons),
        *((_("Promotion: %(name)s") % {"name": row.name}, row.cost) for row in report.promotions),
    ]
    rows.sort(key=lambda row: -row[1])
    total = sum(cost for _name, cost in rows)
    return hbar_chart(
        title=_("What offers cost in this period"),
        summary=_("Coupons and promotions cost %(total)s in all.") % {"total": format_money(total)}
        if rows
        else _("No offers in this period."),
        categories=[fit(name) for name, _cost in rows],
        series=[(_("Cost"), [cost for _name, cost in rows])],
        fmt=format_money,
        category_header=_("Offer"),
        label_width=LABEL_WIDTH,
    )


def redemption_chart(report: OffersReport) -> Chart:
    rows: list[tuple[str, OfferCounts]] = [(_("Coupon: %(name)s") % {"name": row.name}, row) for row in report.coupons]
    rows += [(_("Campaign: %(name)s") % {"name": row.name}, row) for row in report.campaigns]
    best = max((row for _name, row in rows if row.issued), key=lambda row: row.redemption_rate or 0, default=None)
    return hbar_chart(
        title=_("Redemption rate: coupons used of those issued"),
        summary=_("The best redemption rate is %(share)s (%(name)s).")
        % {"share": percent(best.redemption_rate), "name": best.name}
        if best
        else _("No coupons issued in this period."),
        categories=[fit(name) for name, _row in rows],
        series=[(_("Redeemed"), [row.redemption_rate or 0 for _name, row in rows])],
        fmt=percent,
        category_header=_("Offer"),
        label_width=LABEL_WIDTH,
    )


# --- Recommendations ---------------------------------------------------------------


def recommendation_groups(results: RecommendationResults) -> list[tuple[str, GroupResult]]:
    return [(_("Shown recommendations"), results.shown), (_("Holdout (not shown)"), results.holdout)]


def recommendations_chart(results: RecommendationResults) -> Chart:
    """The share of recommended items bought within the follow-up, shown
    against the holdout, each with its Wilson 95 % range (campaigns.stats, as
    for A/B variants): bars whose ranges overlap may not differ at all."""
    groups = recommendation_groups(results)
    ranges = [proportion_interval(converted=g.bought, members=g.recommendations) for _name, g in groups]
    summary = (
        _("Shown: %(shown)s of recommended items bought; holdout: %(holdout)s (%(points)s percentage points).")
        % {
            "shown": rate_percent(results.shown.rate or 0),
            "holdout": rate_percent(results.holdout.rate or 0),
            "points": f"{results.uplift_points:+.1f}",
        }
        if results.uplift_points is not None
        else _("Not enough data yet: both groups need recommendations at least as old as the follow-up period.")
    )
    return hbar_chart(
        title=_("Recommended items bought: shown against the holdout, with their ranges (95%)"),
        summary=summary,
        categories=[name for name, _group in groups],
        series=[(_("Share bought"), [group.rate or 0 for _name, group in groups])],
        fmt=rate_percent,
        category_header=_("Group"),
        label_width=LABEL_WIDTH,
        errors=[[None if r is None else (r.low, r.high) for r in ranges]],
        error_header=_("Range (95%)"),
    )
