"""Reads behind the managers' charts: today's sales by hour and by tender,
and what the wallets held at the end of each day. Each is one or two
aggregate queries whatever the number of rows; days and hours are the
programme's (TIME_ZONE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from cafe_loyalty.core.clock import local_day_start
from payments.models import Account, Order, Tender, Transfer


@dataclass(frozen=True)
class HourSales:
    hour: int  # 0–23, local
    orders: int
    total: int


def sales_by_hour(*, now: datetime | None = None) -> list[HourSales]:
    """Orders paid today, per hour of the day they were paid in (every hour
    from 0 to 23, empty ones as zero). Refunds are not taken off: this is
    what was rung up, as on the Z report."""
    start = local_day_start(now or timezone.now())
    rows = (
        Order.objects.filter(paid_at__gte=start, paid_at__lt=start + timedelta(days=1))
        .annotate(hour=ExtractHour("paid_at", tzinfo=timezone.get_default_timezone()))
        .values("hour")
        .annotate(orders=Count("pk"), total=Sum("total"))
        .order_by()
    )
    by_hour = {row["hour"]: row for row in rows}
    return [
        HourSales(hour=h, orders=by_hour[h]["orders"], total=int(by_hour[h]["total"] or 0))
        if h in by_hour
        else HourSales(hour=h, orders=0, total=0)
        for h in range(24)
    ]


@dataclass(frozen=True)
class TenderSales:
    kind: str
    label: str
    tenders: int
    amount: int


def sales_by_tender(*, now: datetime | None = None) -> list[TenderSales]:
    """What today's paid orders were paid with: settled tenders per kind, in
    the kinds' order (wallet, cash, card, points), every kind present."""
    start = local_day_start(now or timezone.now())
    rows = (
        Tender.objects.filter(
            status=Tender.Status.SETTLED, order__paid_at__gte=start, order__paid_at__lt=start + timedelta(days=1)
        )
        .values("kind")
        .annotate(tenders=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    by_kind = {row["kind"]: row for row in rows}
    return [
        TenderSales(
            kind=kind,
            label=str(label),
            tenders=by_kind.get(kind, {}).get("tenders", 0),
            amount=int(by_kind.get(kind, {}).get("amount") or 0),
        )
        for kind, label in Tender.Kind.choices
    ]


@dataclass(frozen=True)
class DayBalance:
    day: date
    balance: int  # all member wallets together at the end of the day


def wallet_liability_by_day(*, days: int = 30, now: datetime | None = None) -> list[DayBalance]:
    """What all member wallets held at the end of each of the last `days`
    days (today so far included), oldest first: today's total held, less
    each later day's net movement into wallets. Two queries."""
    today = local_day_start(now or timezone.now())
    first = today - timedelta(days=days - 1)
    held = Account.objects.filter(kind=Account.Kind.WALLET).aggregate(
        credits=Sum("credits_posted", default=0), debits=Sum("debits_posted", default=0)
    )
    wallet = Account.Kind.WALLET
    # A transfer between two wallets moves nothing in or out of the total.
    moves = (
        Transfer.objects.filter(created_at__gte=first)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
        .values("day")
        .annotate(
            inflow=Sum("amount", filter=Q(credit_account__kind=wallet), default=0),
            outflow=Sum("amount", filter=Q(debit_account__kind=wallet), default=0),
        )
        .order_by()
    )
    net = {row["day"]: int(row["inflow"]) - int(row["outflow"]) for row in moves}
    balance = int(held["credits"]) - int(held["debits"])
    closing: list[DayBalance] = []
    for back in range(days):
        day = (today - timedelta(days=back)).date()
        closing.append(DayBalance(day=day, balance=balance))
        balance -= net.get(day, 0)
    return closing[::-1]
