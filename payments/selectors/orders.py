"""Reads of orders: what is paid and due, the lines as the loyalty engine
sees them, and the points an open order would earn."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from cafe_loyalty.core.clock import local_day_start
from cafe_loyalty.core.rows import PreparedQuery
from campaigns.earning import PointsQuote, QuoteLine, points_quote
from members.models import Member, PointsPolicy
from payments.models import Order, OrderLine, OrderRefund, Tender

# Every till tap reads its order: built once per process (cafe_loyalty.core.rows).
_ORDER_AT_STORE = PreparedQuery(
    lambda order_id, store_id: Order.objects.select_related("member__tier").filter(pk=order_id, store_id=store_id)
)


def order_at_store(*, order_id: int, store_id: int) -> Order | None:
    """Order `order_id` if it is the store's, with its member and tier."""
    order: Order | None = _ORDER_AT_STORE.first(order_id=order_id, store_id=store_id)
    return order


def order_paid_amount(order: Order) -> int:
    return order.tenders.filter(status=Tender.Status.SETTLED).aggregate(s=Sum("amount"))["s"] or 0


def order_due(order: Order, tenders: Iterable[Tender] | None = None) -> int:
    """What is still to pay: the total less settled and waiting tenders
    (`tenders`: all of the order's, when the caller has read them already)."""
    if tenders is not None:
        held = sum(t.amount for t in tenders if t.status in (Tender.Status.SETTLED, Tender.Status.PENDING))
        return max(order.total - held, 0)
    # One query for both sums.
    sums = order.tenders.aggregate(
        settled=Sum("amount", filter=Q(status=Tender.Status.SETTLED)),
        pending=Sum("amount", filter=Q(status=Tender.Status.PENDING)),
    )
    return max(order.total - (sums["settled"] or 0) - (sums["pending"] or 0), 0)


def quote_lines(lines: Iterable[OrderLine]) -> list[QuoteLine]:
    """The order's lines as the loyalty engine sees them (pass lines with
    their product and category loaded)."""
    return [QuoteLine(line.product.sku, line.product.category.slug, line.quantity, line.line_total) for line in lines]


def order_lines_for_quote(order: Order) -> Iterable[OrderLine]:
    return order.lines.select_related("product__category")


def order_points_preview(*, order: Order) -> PointsQuote | None:
    """What the open order would earn the scanned member, for the till."""
    if order.member is None:
        return None
    return points_quote(
        member=order.member,
        lines=quote_lines(order_lines_for_quote(order)),
        total_paid=order.total,
        store_slug=order.store.slug,
        at=timezone.now(),
        zone=order.store.zone,
    )


def staff_refunds_today(*, actor: Any, now: datetime) -> int:
    """What this person has refunded since local midnight (till refunds)."""
    total = OrderRefund.objects.filter(actor=actor, created_at__gte=local_day_start(now)).aggregate(s=Sum("amount"))
    return int(total["s"] or 0)


@dataclass(frozen=True)
class PointsTenderPreview:
    points: int  # what tapping Points would spend
    covers: int  # how much of what is due they pay


def points_tender_preview(*, member: Member, due: int, spent_first: int = 0) -> PointsTenderPreview | None:
    """What the Points tender would do now, shown on its button before anything
    is spent: the same sum as the tender (enough whole points for what is due,
    at most what the member has), None when they have none to use.
    `spent_first`: points a reward on the same order takes before (a cart)."""
    value = PointsPolicy.current().point_value
    points = min(-(-due // value), member.points_balance - spent_first)
    if points <= 0:
        return None
    return PointsTenderPreview(points=points, covers=min(points * value, due))
