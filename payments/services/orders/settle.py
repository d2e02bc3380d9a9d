"""An order becomes paid: once, when its settled tenders cover the total.

This is the one place loyalty is earned for a sale, whatever the channel
(till, API): coupons redeemed, points earned for what was not paid with
points, the visit counted, the tier reviewed, the member's receipt written;
and the order joins the shift open at its store at that moment."""

from __future__ import annotations

from datetime import datetime
from types import EllipsisType

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from cafe_loyalty.core.rows import PreparedQuery, row_save
from campaigns.coupons import coupon_redeem, coupons_lock
from campaigns.loyalty import LoyaltyOutcome, loyalty_on_paid_order
from members.notices import notice_money, notice_send, notice_text, notices_batched
from payments.models import Order, OrderCoupon, OrderLine, Tender
from payments.selectors.orders import quote_lines
from payments.selectors.shifts import shift_current_id
from payments.services.orders.receipts import receipt_notice

# Built once per process, like the code lock (cafe_loyalty.core.rows): a
# till's payment reads the order with these three queries, and building them
# through the ORM on every tap cost more than running them.
_ORDER_FOR_SETTLING = PreparedQuery(
    lambda order_id: Order.objects.select_for_update(of=("self",)).select_related("store", "member").filter(pk=order_id)
)
_ORDER_LINES = PreparedQuery(
    lambda order_id: OrderLine.objects.select_related("product__category").filter(order_id=order_id).order_by("pk")
)
_ORDER_COUPONS = PreparedQuery(lambda order_id: OrderCoupon.objects.filter(order_id=order_id).order_by("pk"))


def order_lock_for_settling(*, order_id: int) -> Order:
    """The order row locked, with what settling reads (lines, coupons) fetched
    once; then its coupons (and their limited templates) locked, so every
    path that may settle an order takes the coupon locks before the wallet's
    and the member's (see campaigns.coupons.coupons_lock)."""
    order: Order | None = _ORDER_FOR_SETTLING.first(order_id=order_id)
    if order is None:
        raise Order.DoesNotExist(f"order {order_id}")
    lines, coupons = OrderLine.objects.filter(order_id=order_id), OrderCoupon.objects.filter(order_id=order_id)
    _prefetched(order, lines, _ORDER_LINES.all(order_id=order_id), coupons, _ORDER_COUPONS.all(order_id=order_id))
    codes = [applied.code for applied in order.coupons.all()]
    if codes and order.status == Order.Status.OPEN:
        coupons_lock(codes=codes)
    return order


def order_known_empty(order: Order) -> None:
    """An order the caller just made in its transaction, with no lines and no
    coupons (the API's sale): settling it reads neither back."""
    # Empty querysets (none(): their other uses need no query either).
    _prefetched(order, OrderLine.objects.none(), [], OrderCoupon.objects.none(), [])


def _prefetched(
    order: Order,
    lines: QuerySet[OrderLine],
    line_rows: list[OrderLine],
    coupons: QuerySet[OrderCoupon],
    coupon_rows: list[OrderCoupon],
) -> None:
    """`order.lines.all()` and `order.coupons.all()` answer these rows without
    a query, as prefetch_related leaves them: the querysets evaluated (their
    other uses, `.get()` or `.filter()`, query as usual), each row's `order`
    the order itself."""
    for row in (*line_rows, *coupon_rows):
        type(row).order.field.set_cached_value(row, order)  # type: ignore[attr-defined]
    lines._result_cache, coupons._result_cache = line_rows, coupon_rows
    lines._prefetch_done = coupons._prefetch_done = True  # type: ignore[attr-defined]
    order._prefetched_objects_cache = {"lines": lines, "coupons": coupons}  # type: ignore[attr-defined]


def order_settle_if_covered(*, order: Order) -> bool:
    """Settle the order in its own transaction if its tenders now cover it
    (after a member confirmed a held wallet tender, say)."""
    with transaction.atomic(), notices_batched():
        settled = order_settle_locked(order=order_lock_for_settling(order_id=order.pk), now=timezone.now())
    order.refresh_from_db()
    return settled


def order_settle_locked(
    *,
    order: Order,
    now: datetime,
    wallet_balance: int | None = None,
    settled: list[Tender] | None = None,
    shift_id: int | None | EllipsisType = ...,
) -> bool:
    """Inside the caller's transaction, with `order` locked (order_lock_for_settling):
    if the settled tenders cover the total, mark it paid and earn its loyalty,
    exactly once. `wallet_balance`, when a wallet tender just paid, goes on
    the receipt. `settled`: the order's settled tenders, when the caller has
    just made them all (saves reading them back). `shift_id`: the shift the
    sale belongs to when it is not the one open now (an offline till's sale,
    synced later, belongs to the shift it was rung up in, open or closed)."""
    if order.status != Order.Status.OPEN:
        return False
    if settled is None:
        settled = list(order.tenders.filter(status=Tender.Status.SETTLED))
    if sum(t.amount for t in settled) < order.total:
        return False
    order.shift_id = shift_current_id(store_id=order.store_id) if shift_id is ... else shift_id
    loyalty = LoyaltyOutcome()
    if order.member is not None:
        for applied in order.coupons.all():
            coupon_redeem(
                code=applied.code, member=order.member, order_reference=order.reference, discount=applied.discount
            )
        paid_with_points = sum(t.amount for t in settled if t.kind == Tender.Kind.POINTS)
        earning_amount = order.total - paid_with_points
        if earning_amount > 0:
            loyalty = loyalty_on_paid_order(
                member=order.member,
                amount=earning_amount,
                reference=order.reference,
                store_slug=order.store.slug,
                at=now,
                lines=quote_lines(order.lines.all()),  # prefetched by order_lock_for_settling
                zone=order.store.zone,
            )
        order.points_earned = loyalty.points_earned
        order.points_explanation = "\n".join(loyalty.explanation)
        notice_send(
            member=order.member,
            kind="wallet",
            title=notice_text(
                gettext_noop("Receipt %(amount)s at %(store)s"),
                amount=notice_money(order.total),
                store=order.store.name,
            ),
            body=receipt_notice(order, tenders=settled, paid_at=now, wallet_balance=wallet_balance),
            link=f"/wallet/receipts/{order.pk}/",
        )
    order.status = Order.Status.PAID
    order.paid_at = now
    order.scanned_code_hash = ""
    row_save(order, ("status", "paid_at", "shift", "points_earned", "points_explanation", "scanned_code_hash"))
    return True
