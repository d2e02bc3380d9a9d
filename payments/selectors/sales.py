"""The sales report's figures: what sold, where and when, for one store or all
over a period of the programme's days (TIME_ZONE).

A sale is a paid order (refunded ones included: they were rung up), counted
on the day it was paid. "Sales" is what the orders came to after discounts,
as on the Z report; refunds are shown beside it, not taken off. Products and
categories are valued at their lines' prices (before order discounts), and
items are the lines' quantities. Every figure is an aggregate query, so a
page costs the same number of queries however many orders there are.

Days before today that `summarise_sales` has written (SalesSummaryDay) are
read from the daily summary, the others from orders; the summariser runs the
queries below per day (day_orders, day_lines, order_sums, line_sums), so these
rules are written once and a summarised day reads as it did live.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any

from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    NullIf,
    TruncDate,
    TruncDay,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname, get_language

from payments.models import (
    DailyCategorySales,
    DailyProductSales,
    DailySales,
    Order,
    OrderLine,
    SalesSummaryDay,
    Store,
)

GRAINS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class SalesQuery:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    store: Store | None = None
    grain: str = "day"  # day | week | month

    @property
    def window(self) -> tuple[datetime, datetime]:
        tz = timezone.get_default_timezone()
        first = timezone.make_aware(datetime(self.start.year, self.start.month, self.start.day), tz)
        after = timezone.make_aware(datetime(self.end.year, self.end.month, self.end.day), tz) + timedelta(days=1)
        return first, after


@dataclass(frozen=True)
class Totals:
    orders: int
    items: int
    sales: int
    refunds: int

    @property
    def items_per_order(self) -> float | None:
        return self.items / self.orders if self.orders else None

    @property
    def average_order(self) -> int | None:
        """Sales ÷ orders, rounded to the minor unit."""
        return (2 * self.sales + self.orders) // (2 * self.orders) if self.orders else None


@dataclass(frozen=True)
class PeriodSales:
    start: date  # the day, the week's Monday or the month's first day
    totals: Totals


@dataclass(frozen=True)
class NamedSales:
    name: str
    totals: Totals


@dataclass(frozen=True)
class ItemSales:
    name: str
    category: str
    quantity: int
    revenue: int  # Σ line price × quantity
    orders: int  # orders with the item


@dataclass(frozen=True)
class SalesReport:
    query: SalesQuery
    totals: Totals
    periods: list[PeriodSales]
    stores: list[NamedSales]
    products: list[ItemSales]  # best-selling (by revenue) first
    categories: list[ItemSales]
    heat: list[list[int]]  # orders by weekday (Monday first) × hour 0–23


def _orders(query: SalesQuery, live: Q | None = None) -> QuerySet[Order]:
    """What counts as a sale: the one home of the rule (the summariser uses it
    too). `live` keeps only the days not summarised."""
    first, after = query.window
    orders = Order.objects.filter(
        status__in=[Order.Status.PAID, Order.Status.REFUNDED], paid_at__gte=first, paid_at__lt=after
    )
    orders = orders.filter(live) if live is not None else orders
    return orders.filter(store=query.store) if query.store else orders


def _lines(query: SalesQuery, live: Q | None = None) -> QuerySet[OrderLine]:
    return (
        OrderLine.objects.filter(order__in=_orders(query, live).values("pk")) if live is not None else _all_lines(query)
    )


def _all_lines(query: SalesQuery) -> QuerySet[OrderLine]:
    first, after = query.window
    lines = OrderLine.objects.filter(
        order__status__in=[Order.Status.PAID, Order.Status.REFUNDED],
        order__paid_at__gte=first,
        order__paid_at__lt=after,
    )
    return lines.filter(order__store=query.store) if query.store else lines


def _in_language(relation: str) -> Coalesce:
    """A menu name across `relation` ("product", "product__category") in the
    reader's language, else in English (the one every name has)."""
    localized = F(f"{relation}__{build_localized_fieldname('name', get_language())}")
    english = F(f"{relation}__{build_localized_fieldname('name', 'en')}")
    return Coalesce(NullIf(localized, Value("")), english, output_field=CharField())


def order_sums() -> dict[str, Any]:
    """An order group's figures (orders, sales after discounts, refunds)."""
    return {"orders": Count("pk"), "sales": Sum("total"), "refunds": Sum("refunded_amount")}


def line_sums() -> dict[str, Any]:
    """A line group's figures: items, revenue at line prices, orders with them."""
    return {
        "items": Sum("quantity"),
        "revenue": Sum(F("unit_price") * F("quantity")),
        "orders": Count("order", distinct=True),
    }


def local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def local_hour(field: str) -> ExtractHour:
    return ExtractHour(field, tzinfo=timezone.get_default_timezone())


def day_orders(day: date) -> QuerySet[Order]:
    """The summariser's orders of one day (every store)."""
    return _orders(SalesQuery(start=day, end=day))


def day_lines(day: date) -> QuerySet[OrderLine]:
    return _all_lines(SalesQuery(start=day, end=day))


def _totals(row: dict[str, Any] | None, items: int | None) -> Totals:
    row = row or {}
    return Totals(
        orders=int(row.get("orders") or 0),
        items=int(items or 0),
        sales=int(row.get("sales") or 0),
        refunds=int(row.get("refunds") or 0),
    )


def _period_starts(query: SalesQuery) -> list[date]:
    """Every period of the query, empty ones too, oldest first."""
    if query.grain == "month":
        first = query.start.replace(day=1)
        starts = []
        while first <= query.end:
            starts.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return starts
    step = 7 if query.grain == "week" else 1
    first = query.start - timedelta(days=query.start.weekday()) if query.grain == "week" else query.start
    return [first + timedelta(days=i) for i in range(0, (query.end - first).days + 1, step)]


def _day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return (
            timezone.localtime(value, timezone.get_default_timezone()).date()
            if timezone.is_aware(value)
            else value.date()
        )
    return value


@dataclass
class _Figures:
    """The report's groups from one source (live orders or the summary),
    added together by `add`."""

    periods: dict[date, list[int]] = field(default_factory=dict)  # orders, items, sales, refunds
    stores: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (id, name): figures
    products: dict[Any, list[Any]] = field(default_factory=dict)  # name, category, items, revenue, orders
    categories: dict[Any, list[Any]] = field(default_factory=dict)
    heat: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, other: _Figures) -> None:
        _add_sums(self.periods, other.periods)
        _add_sums(self.stores, other.stores)
        for mine_items, their_items in ((self.products, other.products), (self.categories, other.categories)):
            for key, item in their_items.items():
                if key in mine_items:
                    mine_items[key][2:] = [a + b for a, b in zip(mine_items[key][2:], item[2:], strict=True)]
                else:
                    mine_items[key] = list(item)
        for cell, count in other.heat.items():
            self.heat[cell] = self.heat.get(cell, 0) + count


def _add_sums(mine: dict[Any, list[int]], theirs: dict[Any, list[int]]) -> None:
    for key, row in theirs.items():
        mine[key] = [a + b for a, b in zip(mine.get(key, [0, 0, 0, 0]), row, strict=True)]


def _sums(row: dict[str, Any]) -> list[int]:
    return [int(row.get(name) or 0) for name in ("orders", "items", "sales", "refunds")]


def _live(query: SalesQuery, live: Q | None) -> _Figures:
    """The figures from orders, the summarised days left out. Seven queries."""
    tz = timezone.get_default_timezone()
    orders, lines = _orders(query, live), _lines(query, live)
    out = _Figures()
    trunc = GRAINS[query.grain]
    items_by_period = {
        _day(row["period"]): row["items"]
        for row in lines.annotate(period=trunc("order__paid_at", tzinfo=tz))
        .values("period")
        .annotate(items=Sum("quantity"))
        .order_by()
    }
    for row in orders.annotate(period=trunc("paid_at", tzinfo=tz)).values("period").annotate(**order_sums()).order_by():
        day = _day(row["period"])
        out.periods[day] = _sums({**row, "items": items_by_period.get(day)})
    items_by_store = dict(lines.values_list("order__store").annotate(items=Sum("quantity")).order_by())
    for row in orders.values("store", "store__name").annotate(**order_sums()).order_by():
        out.stores[row["store"], row["store__name"]] = _sums({**row, "items": items_by_store.get(row["store"])})
    product, category = _in_language("product"), _in_language("product__category")
    for row in (
        lines.values("product").annotate(name=product, category_name=category).annotate(**line_sums()).order_by()
    ):
        out.products[row["product"]] = [row["name"], row["category_name"], row["items"], row["revenue"], row["orders"]]
    for row in lines.values("product__category").annotate(name=category).annotate(**line_sums()).order_by():
        out.categories[row["product__category"]] = [
            row["name"],
            row["name"],
            row["items"],
            row["revenue"],
            row["orders"],
        ]
    cells = (
        orders.annotate(weekday=ExtractIsoWeekDay("paid_at", tzinfo=tz), hour=local_hour("paid_at"))
        .values("weekday", "hour")
        .annotate(orders=Count("pk"))
        .order_by()
    )
    out.heat = {(cell["weekday"], cell["hour"]): cell["orders"] for cell in cells}
    return out


def _summarised(query: SalesQuery, days: list[date]) -> _Figures:
    """The figures of summarised days from the summary. Five queries."""
    out = _Figures()
    first, last = days[0], days[-1]  # the days are one unbroken run (see _split)
    where = {"day__gte": first, "day__lte": last, **({"store": query.store} if query.store else {})}
    daily = DailySales.objects.filter(**where)
    totals = {name: Sum(name) for name in ("orders", "items", "sales", "refunds")}
    for row in daily.annotate(period=GRAINS[query.grain]("day")).values("period").annotate(**totals).order_by():
        out.periods[_day(row["period"])] = _sums(row)
    for row in daily.values("store", "store__name").annotate(**totals).order_by():
        out.stores[row["store"], row["store__name"]] = _sums(row)
    item_sums = {name: Sum(name) for name in ("items", "revenue", "orders")}
    product, category = _in_language("product"), _in_language("product__category")
    for row in (
        DailyProductSales.objects.filter(**where)
        .values("product")
        .annotate(name=product, category_name=category)
        .annotate(**item_sums)
        .order_by()
    ):
        out.products[row["product"]] = [row["name"], row["category_name"], row["items"], row["revenue"], row["orders"]]
    category = _in_language("category")
    for row in (
        DailyCategorySales.objects.filter(**where)
        .values("category")
        .annotate(name=category)
        .annotate(**item_sums)
        .order_by()
    ):
        out.categories[row["category"]] = [row["name"], row["name"], row["items"], row["revenue"], row["orders"]]
    cells = (
        daily.annotate(weekday=ExtractIsoWeekDay("day"))
        .values("weekday", "hour")
        .annotate(orders=Sum("orders"))
        .order_by()
    )
    out.heat = {(cell["weekday"], cell["hour"]): int(cell["orders"]) for cell in cells}
    return out


def _split(query: SalesQuery) -> tuple[list[date], Q | None]:
    """The query's summarised days (before today, the longest run from its
    first summarised day) and the times of the days to read live."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    marked = list(
        SalesSummaryDay.objects.filter(day__gte=query.start, day__lte=min(query.end, today - timedelta(days=1)))
        .order_by("day")
        .values_list("day", flat=True)
    )
    days = marked[:1]
    for day in marked[1:]:
        if day != days[-1] + timedelta(days=1):
            break  # a gap (a day never summarised): it and what follows are read live
        days.append(day)
    if not days:
        return [], None
    first, after = query.window
    skip_from, skip_to = SalesQuery(start=days[0], end=days[-1]).window
    # The days around the summarised run as time ranges, not "all but the run":
    # the orders' paid_at index then reads only those days (usually today),
    # not the whole window's orders to throw most away.
    ranges = [Q(paid_at__gte=first, paid_at__lt=skip_from)] if first < skip_from else []
    if skip_to < after:
        ranges.append(Q(paid_at__gte=skip_to, paid_at__lt=after))
    return days, reduce(operator.or_, ranges) if ranges else Q(pk__in=[])


def sales_report(*, query: SalesQuery) -> SalesReport:
    """The whole report for one store (or all) over the query's days: summarised
    days from the nightly summary, the rest (today at least) from orders. At
    most thirteen queries."""
    days, live = _split(query)
    figures = _Figures()
    if days:
        figures.add(_summarised(query, days))
    if not days or days[-1] < query.end or days[0] > query.start:
        figures.add(_live(query, live))
    sums = [sum(column) for column in zip(*figures.periods.values(), strict=True)] or [0, 0, 0, 0]
    totals = _totals(dict(zip(("orders", "items", "sales", "refunds"), sums, strict=True)), sums[1])
    periods = [
        PeriodSales(start, _totals(*_row_and_items(figures.periods.get(start)))) for start in _period_starts(query)
    ]
    stores = sorted(
        (NamedSales(name, _totals(*_row_and_items(row))) for (_pk, name), row in figures.stores.items()),
        key=lambda store: (-store.totals.sales, store.name),
    )
    products = sorted(
        (ItemSales(*row) for row in figures.products.values()), key=lambda item: (-item.revenue, item.name)
    )
    categories = sorted(
        (ItemSales(*row) for row in figures.categories.values()), key=lambda item: (-item.revenue, item.name)
    )
    heat = [[figures.heat.get((weekday, hour), 0) for hour in range(24)] for weekday in range(1, 8)]
    return SalesReport(query, totals, periods, stores, products, categories, heat)


def _row_and_items(row: list[int] | None) -> tuple[dict[str, Any], int]:
    orders, items, sales, refunds = row or [0, 0, 0, 0]
    return {"orders": orders, "sales": sales, "refunds": refunds}, items
