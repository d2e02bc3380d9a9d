"""Today at a glance, for managers on the admin's front page.

The top layer is the one place that reads across members, campaigns and
payments; each figure is one aggregate query over today's rows (local day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone

from cafe_loyalty.core.clock import local_day_start
from campaigns.models import OrderFeedback
from campaigns.selectors import feedback_follow_ups_open
from members.models import Member, PointsEntry
from payments.models import Account, CashOut, Order, Payment, Refund, RiskAlert, TopUp, WalletPause
from payments.selectors.risk import risk_alerts_open, wallet_pauses_open

ALERTS_SHOWN = 10


@dataclass(frozen=True)
class Today:
    wallet_payments: int
    wallet_paid: int
    till_orders: int
    till_sales: int
    top_ups: int
    refunds: int
    paid_back: int  # wallets paid back in cash at the counter
    new_members: int
    points_earned: int
    points_spent: int
    waiting_for_members: int
    open_alerts: int
    wallet_liability: int  # what all wallets hold: money the cafe owes its members


def _total(value: int | None) -> int:
    return int(value or 0)


def today_at_a_glance(*, now: datetime | None = None) -> Today:
    now = now or timezone.now()
    start = local_day_start(now)
    payments = Payment.objects.filter(status=Payment.Status.SUCCEEDED, created_at__gte=start).aggregate(
        n=Count("pk"), s=Sum("amount")
    )
    orders = Order.objects.filter(paid_at__gte=start).aggregate(n=Count("pk"), s=Sum("total"))
    points = PointsEntry.objects.filter(created_at__gte=start).aggregate(
        earned=Sum("points", filter=Q(kind=PointsEntry.Kind.EARN)),
        spent=Sum("points", filter=Q(kind=PointsEntry.Kind.SPEND)),
    )
    wallets = Account.objects.filter(kind=Account.Kind.WALLET).aggregate(
        credits=Sum("credits_posted"), debits=Sum("debits_posted")
    )
    return Today(
        wallet_payments=_total(payments["n"]),
        wallet_paid=_total(payments["s"]),
        till_orders=_total(orders["n"]),
        till_sales=_total(orders["s"]),
        top_ups=_total(TopUp.objects.filter(created_at__gte=start).aggregate(s=Sum("amount"))["s"]),
        refunds=_total(Refund.objects.filter(created_at__gte=start).aggregate(s=Sum("amount"))["s"]),
        paid_back=_total(CashOut.objects.filter(created_at__gte=start).aggregate(s=Sum("amount"))["s"]),
        new_members=Member.objects.filter(created_at__gte=start).count(),
        points_earned=_total(points["earned"]),
        points_spent=-_total(points["spent"]),
        waiting_for_members=Payment.objects.filter(status=Payment.Status.REQUIRES_CONFIRMATION).count(),
        open_alerts=RiskAlert.objects.filter(resolved_at__isnull=True).count(),
        wallet_liability=_total(wallets["credits"]) - _total(wallets["debits"]),
    )


@dataclass(frozen=True)
class NeedsAttention:
    """What a manager must see first: wallet payments pauses in force, and
    open risk alerts, high severity first, then newest first."""

    pauses: list[WalletPause]
    alerts: list[RiskAlert]  # the first ALERTS_SHOWN
    more_alerts: int  # open alerts not listed


def needs_attention() -> NeedsAttention:
    open_alerts = risk_alerts_open()
    alerts = list(open_alerts[:ALERTS_SHOWN])
    more = open_alerts.count() - len(alerts) if len(alerts) == ALERTS_SHOWN else 0
    return NeedsAttention(pauses=wallet_pauses_open(), alerts=alerts, more_alerts=more)


FOLLOW_UPS_SHOWN = 10


@dataclass(frozen=True)
class FollowUps:
    """Low ratings waiting for someone to follow them up (newest first)."""

    feedback: list[OrderFeedback]  # the first FOLLOW_UPS_SHOWN
    more: int


def follow_ups() -> FollowUps:
    waiting = feedback_follow_ups_open()
    shown = list(waiting[:FOLLOW_UPS_SHOWN])
    more = waiting.count() - len(shown) if len(shown) == FOLLOW_UPS_SHOWN else 0
    return FollowUps(feedback=shown, more=more)
