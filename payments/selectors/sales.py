"""The sales report's figures: what sold, where and when, for one store or all
over a period of the programme's days (TIME_ZONE).

A sale is a paid order (refunded ones included: they were rung up), counted
on the day it was paid. "Sales" is what the orders came to after discounts,
as on the Z report; refunds are shown beside it, not taken off. Products and
categories are valued at their lines' prices (before order discounts), and
items are the lines' quantities. Every figure is an aggregate query, so a
page costs the same number of queries however many orders there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import CharField, Count, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, NullIf, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname, get_language

from payments.models import Order, OrderLine, Store

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


def _orders(query: SalesQuery) -> QuerySet[Order]:
    first, after = query.window
    orders = Order.objects.filter(
        status__in=[Order.Status.PAID, Order.Status.REFUNDED], paid_at__gte=first, paid_at__lt=after
    )
    return orders.filter(store=query.store) if query.store else orders


def _lines(query: SalesQuery) -> QuerySet[OrderLine]:
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


def _order_sums() -> dict[str, Any]:
    return {"orders": Count("pk"), "sales": Sum("total"), "refunds": Sum("refunded_amount")}


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


def sales_report(*, query: SalesQuery) -> SalesReport:
    """The whole report for one store (or all) over the query's days. Nine queries."""
    tz = timezone.get_default_timezone()
    orders, lines = _orders(query), _lines(query)
    totals = _totals(orders.aggregate(**_order_sums()), lines.aggregate(items=Sum("quantity"))["items"])

    trunc = GRAINS[query.grain]
    by_period = {
        _day(row["period"]): row
        for row in orders.annotate(period=trunc("paid_at", tzinfo=tz))
        .values("period")
        .annotate(**_order_sums())
        .order_by()
    }
    items_by_period = {
        _day(row["period"]): row["items"]
        for row in lines.annotate(period=trunc("order__paid_at", tzinfo=tz))
        .values("period")
        .annotate(items=Sum("quantity"))
        .order_by()
    }
    periods = [
        PeriodSales(start, _totals(by_period.get(start), items_by_period.get(start))) for start in _period_starts(query)
    ]

    items_by_store = dict(lines.values_list("order__store").annotate(items=Sum("quantity")).order_by())
    stores = [
        NamedSales(row["store__name"], _totals(row, items_by_store.get(row["store"])))
        for row in orders.values("store", "store__name").annotate(**_order_sums()).order_by("-sales", "store__name")
    ]

    revenue = Sum(F("unit_price") * F("quantity"))
    product, category = _in_language("product"), _in_language("product__category")
    products = [
        ItemSales(row["product_name"], row["category_name"], row["items"], row["revenue"], row["orders"])
        for row in lines.values("product")
        .annotate(product_name=product, category_name=category)
        .annotate(items=Sum("quantity"), revenue=revenue, orders=Count("order", distinct=True))
        .order_by("-revenue", "product_name")
    ]
    categories = [
        ItemSales(row["category_name"], row["category_name"], row["items"], row["revenue"], row["orders"])
        for row in lines.values("product__category")
        .annotate(category_name=category)
        .annotate(items=Sum("quantity"), revenue=revenue, orders=Count("order", distinct=True))
        .order_by("-revenue", "category_name")
    ]

    heat = [[0] * 24 for _ in range(7)]
    cells = (
        orders.annotate(weekday=ExtractIsoWeekDay("paid_at", tzinfo=tz), hour=ExtractHour("paid_at", tzinfo=tz))
        .values("weekday", "hour")
        .annotate(orders=Count("pk"))
        .order_by()
    )
    for cell in cells:
        heat[cell["weekday"] - 1][cell["hour"]] = cell["orders"]
    return SalesReport(query, totals, periods, stores, products, categories, heat)
