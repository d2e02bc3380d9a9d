"""The sales and liability reports' figures as charts (cafe_loyalty.core.charts),
built per request in the reader's language."""

from __future__ import annotations

from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cafe_loyalty.core.charts import Chart, bar_chart, hbar_chart, heat_map, line_chart
from cafe_loyalty.core.money import format_money
from payments.selectors.liability import PointsLiability, WalletLiability
from payments.selectors.sales import ItemSales, NamedSales, SalesReport

TOP_ITEMS = 10  # bars in the product chart; the table under it lists every product
OPENING_HOURS = range(7, 22)  # hours always shown in the heat map; others when they had sales


def month_label(value: date) -> str:
    return formats.date_format(value, "Y-m")


def period_label(value: date, grain: str) -> str:
    return month_label(value) if grain == "month" else formats.date_format(value, "m-d")


def points_text(value: float) -> str:
    return formats.number_format(int(value), force_grouping=True)


def weekday_names() -> list[str]:
    return [
        pgettext("weekday", "Mon"),
        pgettext("weekday", "Tue"),
        pgettext("weekday", "Wed"),
        pgettext("weekday", "Thu"),
        pgettext("weekday", "Fri"),
        pgettext("weekday", "Sat"),
        pgettext("weekday", "Sun"),
    ]


# --- Liability ---------------------------------------------------------------------


def expiry_chart(points: PointsLiability) -> Chart:
    soonest = points.by_expiry[0] if points.by_expiry else None
    summary = (
        _("%(points)s points outstanding, worth %(value)s; the first %(soon)s expire in %(month)s.")
        % {
            "points": points_text(points.outstanding),
            "value": format_money(points.value),
            "soon": points_text(soonest.points),
            "month": month_label(soonest.month),
        }
        if soonest
        else _("No points outstanding.")
    )
    return bar_chart(
        title=_("Outstanding points by month of expiry"),
        summary=summary,
        categories=[month_label(row.month) for row in points.by_expiry],
        series=[(_("Points"), [row.points for row in points.by_expiry])],
        fmt=points_text,
        category_header=_("Expires in"),
        label_every=2 if len(points.by_expiry) > 8 else 1,
    )


def points_flow_chart(points: PointsLiability) -> Chart:
    last = points.months[-1]
    return bar_chart(
        title=_("Points earned, spent and expired per month"),
        summary=_("This month: %(earned)s points earned, %(spent)s spent, %(expired)s expired.")
        % {"earned": points_text(last.earned), "spent": points_text(last.spent), "expired": points_text(last.expired)},
        categories=[month_label(row.month) for row in points.months],
        series=[
            (_("Earned"), [row.earned for row in points.months]),
            (_("Spent"), [row.spent for row in points.months]),
            (_("Expired"), [row.expired for row in points.months]),
        ],
        fmt=points_text,
        category_header=_("Month"),
        label_every=2 if len(points.months) > 8 else 1,
    )


def wallet_flow_chart(wallets: WalletLiability) -> Chart:
    last = wallets.months[-1]
    return bar_chart(
        title=_("Wallets: top-ups, bonuses and spending per month"),
        summary=_("This month: %(top_ups)s topped up, %(bonus)s given as bonus, %(spent)s spent.")
        % {"top_ups": format_money(last.top_ups), "bonus": format_money(last.bonus), "spent": format_money(last.spent)},
        categories=[month_label(row.month) for row in wallets.months],
        series=[
            (_("Topped up"), [row.top_ups for row in wallets.months]),
            (_("Bonus"), [row.bonus for row in wallets.months]),
            (_("Spent"), [row.spent for row in wallets.months]),
        ],
        fmt=format_money,
        category_header=_("Month"),
        label_every=2 if len(wallets.months) > 8 else 1,
    )


def wallet_balance_chart(wallets: WalletLiability) -> Chart:
    first, last = wallets.months[0], wallets.months[-1]
    return line_chart(
        title=_("Held in member wallets at the end of each month"),
        summary=_("Member wallets hold %(now)s, against %(then)s at the end of %(month)s.")
        % {"now": format_money(last.closing), "then": format_money(first.closing), "month": month_label(first.month)},
        labels=[month_label(row.month) for row in wallets.months],
        values=[row.closing for row in wallets.months],
        fmt=format_money,
        value_header=_("Held at the end of the month"),
        category_header=_("Month"),
        label_every=2 if len(wallets.months) > 8 else 1,
    )


# --- Sales -------------------------------------------------------------------------


def sales_by_period_chart(report: SalesReport) -> Chart:
    grain = report.query.grain
    best = max(report.periods, key=lambda p: p.totals.sales, default=None)
    summary = (
        _("%(sales)s in %(orders)s orders; the best period was %(period)s with %(best)s.")
        % {
            "sales": format_money(report.totals.sales),
            "orders": report.totals.orders,
            "period": period_label(best.start, grain),
            "best": format_money(best.totals.sales),
        }
        if best and best.totals.sales
        else _("No sales in this period.")
    )
    count = len(report.periods)
    return bar_chart(
        title={"day": _("Sales per day"), "week": _("Sales per week"), "month": _("Sales per month")}[grain],
        summary=summary,
        categories=[period_label(p.start, grain) for p in report.periods],
        series=[(_("Sales"), [p.totals.sales for p in report.periods])],
        fmt=format_money,
        category_header=_("Period"),
        label_every=max(1, count // 8 + (1 if count % 8 else 0)) if count > 12 else 1,
    )


def heat_chart(report: SalesReport) -> Chart:
    hours = [h for h in range(24) if h in OPENING_HOURS or any(day[h] for day in report.heat)]
    names = weekday_names()
    busiest = max(((d, h) for d in range(7) for h in hours), key=lambda dh: report.heat[dh[0]][dh[1]], default=None)
    top = max((report.heat[d][h] for d in range(7) for h in hours), default=0)
    summary = (
        _("The busiest hour is %(day)s %(hour)s:00 with %(orders)s orders.")
        % {"day": names[busiest[0]], "hour": f"{busiest[1]:02d}", "orders": top}
        if busiest and top
        else _("No sales in this period.")
    )
    return heat_map(
        title=_("Orders by weekday and hour"),
        summary=summary,
        rows=names,
        columns=[f"{h:02d}" for h in hours],
        values=[[day[h] for h in hours] for day in report.heat],
        fmt=lambda v: str(int(v)) if v else "",
        row_header=_("Weekday"),
        top=top,
    )


def items_chart(title: str, rows: list[ItemSales], header: str) -> Chart:
    shown = rows[:TOP_ITEMS]
    summary = (
        _("Best seller: %(name)s, %(revenue)s from %(quantity)s sold.")
        % {"name": shown[0].name, "revenue": format_money(shown[0].revenue), "quantity": shown[0].quantity}
        if shown
        else _("No sales in this period.")
    )
    return hbar_chart(
        title=title,
        summary=summary,
        categories=[row.name for row in shown],
        series=[(_("Sales"), [row.revenue for row in shown])],
        fmt=format_money,
        category_header=header,
        label_width=170,
    )


def stores_chart(stores: list[NamedSales]) -> Chart:
    return hbar_chart(
        title=_("Sales by store"),
        summary="; ".join(f"{row.name}: {format_money(row.totals.sales)}" for row in stores)
        or _("No sales in this period."),
        categories=[row.name for row in stores],
        series=[(_("Sales"), [row.totals.sales for row in stores])],
        fmt=format_money,
        category_header=_("Store"),
        label_width=150,
    )
