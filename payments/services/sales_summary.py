"""Writing the sales report's nightly summary (payments.models.sales_summary)
from the sales selector's own queries, so the rules of what is a sale, its
revenue and its day live once (payments.selectors.sales)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from cafe_loyalty.core.replica import primary_reads
from payments.models import (
    DailyCategorySales,
    DailyProductSales,
    DailySales,
    Order,
    OrderRefund,
    SalesSummaryDay,
)
from payments.selectors.sales import day_lines, day_orders, line_sums, local_day, local_hour, order_sums


@primary_reads()  # a summary is written once from what it reads: never a lagging replica (core.replica)
def sales_summarise(*, days: Iterable[date], started: datetime | None = None) -> int:
    """(Re)writes the summary of each day, one transaction a day; returns how
    many days. Idempotent: a day is replaced whole. `started` (default now)
    is stored as when the day was summarised: refunds and late orders from
    then on make the next run recompute their days."""
    started = started or timezone.now()
    count = 0
    for day in sorted(set(days)):
        _summarise_day(day, started)
        count += 1
    return count


@transaction.atomic
def _summarise_day(day: date, started: datetime) -> None:
    for model in (DailySales, DailyProductSales, DailyCategorySales):
        model.objects.filter(day=day).delete()
    orders, lines = day_orders(day), day_lines(day)
    items = {
        (row["order__store"], row["hour"]): row["items"]
        for row in lines.annotate(hour=local_hour("order__paid_at"))
        .values("order__store", "hour")
        .annotate(items=Sum("quantity"))
        .order_by()
    }
    DailySales.objects.bulk_create(
        DailySales(
            day=day,
            store_id=row["store"],
            hour=row["hour"],
            orders=row["orders"],
            items=items.get((row["store"], row["hour"])) or 0,
            sales=row["sales"] or 0,
            refunds=row["refunds"] or 0,
        )
        for row in orders.annotate(hour=local_hour("paid_at"))
        .values("store", "hour")
        .annotate(**order_sums())
        .order_by()
    )
    DailyProductSales.objects.bulk_create(
        DailyProductSales(day=day, store_id=row["order__store"], product_id=row["product"], **_figures(row))
        for row in lines.values("order__store", "product").annotate(**line_sums()).order_by()
    )
    DailyCategorySales.objects.bulk_create(
        DailyCategorySales(day=day, store_id=row["order__store"], category_id=row["product__category"], **_figures(row))
        for row in lines.values("order__store", "product__category").annotate(**line_sums()).order_by()
    )
    SalesSummaryDay.objects.update_or_create(day=day, defaults={"summarised_at": started})


def _figures(row: dict[str, int]) -> dict[str, int]:
    return {"items": row["items"] or 0, "revenue": row["revenue"] or 0, "orders": row["orders"]}


@primary_reads()  # a summary is written once from what it reads: never a lagging replica (core.replica)
def sales_days_to_summarise(*, now: datetime | None = None) -> set[date]:
    """The nightly run's days: yesterday, and every earlier day whose figures
    changed since the last run: days of orders refunded since then, and of
    orders recorded since then but paid earlier (offline sales synced late).
    Today is always read live, so it is not summarised."""
    now = now or timezone.now()
    yesterday = timezone.localdate(now, timezone.get_default_timezone()) - timedelta(days=1)
    days = {yesterday}
    last = SalesSummaryDay.objects.aggregate(last=Max("summarised_at"))["last"]
    if last is None:
        return days
    refunded = Order.objects.filter(pk__in=OrderRefund.objects.filter(created_at__gte=last).values("order"))
    late = Order.objects.filter(created_at__gte=last, paid_at__lt=last)
    for orders in (refunded, late):
        paid_days = (
            orders.filter(paid_at__isnull=False).annotate(day=local_day("paid_at")).values_list("day", flat=True)
        )
        days |= {day for day in paid_days.distinct().order_by() if day <= yesterday}
    return days
