"""The charts on the admin's front page: today's sales by hour and by tender,
what the wallets hold over the last 30 days, members per month and per
segment. Each chart's figures come from one selector; this module only
draws them (cafe_loyalty.core.charts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from cafe_loyalty.core.charts import Chart, bar_chart, hbar_chart, line_chart
from cafe_loyalty.core.money import format_money
from campaigns.report_charts import activity_chart, segments_chart
from campaigns.reports import monthly_activity
from campaigns.selectors import segment_counts
from payments.selectors.reports import sales_by_hour, sales_by_tender, wallet_liability_by_day

# The hours a cafe is usually open; hours with sales outside them are added.
OPENING_HOURS = range(7, 22)
LIABILITY_DAYS = 30


def sales_by_hour_chart(*, now: datetime | None = None) -> Chart:
    hours = sales_by_hour(now=now)
    shown = [h for h in hours if h.hour in OPENING_HOURS or h.orders]
    busiest = max(shown, key=lambda h: h.total, default=None)
    total = sum(h.total for h in hours)
    summary = (
        _("%(total)s paid today in %(orders)s orders; the busiest hour so far is %(hour)s:00 with %(busiest)s.")
        % {
            "total": format_money(total),
            "orders": sum(h.orders for h in hours),
            "hour": f"{busiest.hour:02d}",
            "busiest": format_money(busiest.total),
        }
        if busiest and busiest.total
        else _("No sales yet today.")
    )
    return bar_chart(
        title=_("Today's sales by hour"),
        summary=summary,
        categories=[f"{h.hour:02d}" for h in shown],
        series=[(_("Sales"), [h.total for h in shown])],
        fmt=format_money,
        category_header=_("Hour"),
        height=220,
    )


def sales_by_tender_chart(*, now: datetime | None = None) -> Chart:
    tenders = sales_by_tender(now=now)
    summary = "; ".join(f"{t.label}: {format_money(t.amount)}" for t in tenders)
    return hbar_chart(
        title=_("Today's sales by tender"),
        summary=summary,
        categories=[t.label for t in tenders],
        series=[(_("Paid"), [t.amount for t in tenders])],
        fmt=format_money,
        category_header=_("Tender"),
        label_width=110,
    )


def liability_chart(*, now: datetime | None = None) -> Chart:
    days = wallet_liability_by_day(days=LIABILITY_DAYS, now=now)
    first, last = days[0], days[-1]
    summary = _("Member wallets hold %(now)s, against %(then)s on %(day)s.") % {
        "now": format_money(last.balance),
        "then": format_money(first.balance),
        "day": formats.date_format(first.day, "SHORT_DATE_FORMAT"),
    }
    return line_chart(
        title=_("Held in member wallets, last %(days)s days") % {"days": LIABILITY_DAYS},
        summary=summary,
        labels=[formats.date_format(d.day, "m-d") for d in days],
        values=[d.balance for d in days],
        fmt=format_money,
        value_header=_("Held at the end of the day"),
        category_header=_("Day"),
        label_every=7,
    )


@dataclass(frozen=True)
class FrontPageCharts:
    sales_by_hour: Chart | None
    sales_by_tender: Chart | None
    liability: Chart | None
    activity: Chart | None
    segments: Chart | None


def front_page_charts(*, sales: bool, members: bool, now: datetime | None = None) -> FrontPageCharts:
    """The charts this manager may see: `sales` (payments) and `members` (campaigns' reports)."""
    return FrontPageCharts(
        sales_by_hour=sales_by_hour_chart(now=now) if sales else None,
        sales_by_tender=sales_by_tender_chart(now=now) if sales else None,
        liability=liability_chart(now=now) if sales else None,
        activity=activity_chart(monthly_activity(months=12, now=now)) if members else None,
        segments=segments_chart(segment_counts()) if members else None,
    )
