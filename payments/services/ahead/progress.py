"""An order ahead behind the counter: the baristas move it forward
(received → preparing → ready → collected); the member may cancel it until
it is started, and gets everything back at once.

Both take the order row's lock first, so a cancel racing "start" is decided
by whichever locks first: the other sees the new status and is refused. A
cancelled order never reaches the queue; a started one is never refunded by
a cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.coupons import coupon_release
from members.models import Member
from members.notices import notice_send, notice_text, notices_batched
from payments.exceptions import PaymentNotPending
from payments.models import Order, OrderRefund, Tender
from payments.services.ahead.errors import OrderNotCancellable, OrderStatusInvalid
from payments.services.orders.refunds import order_refund_locked
from payments.services.orders.tenders import order_confirm_payment

# The barista's steps, in order; an order only moves forward.
STEPS = (Order.PrepStatus.RECEIVED, Order.PrepStatus.PREPARING, Order.PrepStatus.READY, Order.PrepStatus.COLLECTED)


def ahead_order_link(order: Order) -> str:
    """The member's page of an order ahead (the portal's)."""
    return f"/orders/{order.pk}/"


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("member", "store").get(pk=order.pk)


@dataclass
class AheadCancelled:
    order: Order
    refund: OrderRefund | None  # None when nothing had been paid
    wallet_balance: int | None


def ahead_order_cancel(*, order: Order, member: Member, now: datetime | None = None) -> AheadCancelled:
    """Cancel the member's order ahead while it is only received: a paid one
    is refunded in full to its tenders at once (points reversed, coupon
    released — order_refund's rules, in this transaction, without a second
    person's approval: the money goes back to the wallet that paid); one
    still waiting for the member's confirmation has its payment declined.
    Cancelling a cancelled order again answers as the first time did."""
    now = now or timezone.now()
    if order.channel != Order.Channel.AHEAD or order.member_id != member.pk:
        raise OrderNotCancellable(_("That is not one of your orders ahead."))
    if order.status == Order.Status.OPEN:
        held = order.tenders.filter(status=Tender.Status.PENDING).exclude(payment=None).first()
        if held is not None and held.payment_id is not None:
            try:
                order_confirm_payment(payment_id=held.payment_id, member=member, approve=False)
            except PaymentNotPending:
                pass  # the member approved it meanwhile: it is paid, cancel below
    with transaction.atomic(durable=True), notices_batched():
        locked = _lock(order)
        if locked.prep_status == Order.PrepStatus.CANCELLED:
            refund = locked.refunds.order_by("pk").last()
            return AheadCancelled(order=locked, refund=refund, wallet_balance=None)
        if locked.prep_status != Order.PrepStatus.RECEIVED or locked.status != Order.Status.PAID:
            raise OrderNotCancellable(_("The baristas have started your order; it can no longer be cancelled."))
        result = None
        if locked.total > 0:
            result = order_refund_locked(order=locked, reason="Order ahead cancelled by the member", member_cancel=True)
        else:
            # Coupons (a reward's, say) paid it all: nothing to refund, but the
            # coupons are the member's to use again, as a refund releases them.
            coupon_release(order_reference=locked.reference)
        Order.objects.filter(pk=locked.pk).update(prep_status=Order.PrepStatus.CANCELLED, cancelled_at=now)
        notice_send(
            member=member,
            kind="order",
            title=notice_text(gettext_noop("Order %(number)s cancelled"), number=locked.pk),
            body=notice_text(gettext_noop("Your order at %(store)s is cancelled."), store=locked.store.name),
            link=ahead_order_link(locked),
        )
    locked.refresh_from_db()
    return AheadCancelled(
        order=locked,
        refund=result.refund if result else None,
        wallet_balance=result.wallet_balance if result else None,
    )


def ahead_order_advance(*, order: Order, status: str, now: datetime | None = None) -> Order:
    """A barista moves a paid order ahead forward: preparing (started; it can
    no longer be cancelled), ready (the member is told at once, and by email
    with their consent), collected. A step to where it already is changes
    nothing (a retried tap); backwards, a cancelled order or one not paid yet
    is refused."""
    now = now or timezone.now()
    if status not in STEPS[1:]:
        raise OrderStatusInvalid(_("An order moves to preparing, ready or collected."))
    with transaction.atomic(durable=True), notices_batched():
        locked = _lock(order)
        if locked.channel != Order.Channel.AHEAD:
            raise OrderStatusInvalid(_("That is not an order ahead."))
        if locked.prep_status == Order.PrepStatus.CANCELLED:
            raise OrderStatusInvalid(_("The member cancelled this order."))
        if locked.status != Order.Status.PAID:
            raise OrderStatusInvalid(_("This order is not paid."))
        current = STEPS.index(Order.PrepStatus(locked.prep_status or Order.PrepStatus.RECEIVED))
        wanted = STEPS.index(Order.PrepStatus(status))
        if wanted == current:
            return locked
        if wanted < current:
            raise OrderStatusInvalid(
                _("This order is already %(status)s.") % {"status": locked.get_prep_status_display().lower()}
            )
        _step_to(locked, status, now)
        locked.save(update_fields=["prep_status", "started_at", "ready_at", "collected_at"])
    return locked


def _step_to(order: Order, status: str, now: datetime) -> None:
    order.prep_status = status
    # A skipped step happened now too (a drink made and handed over at once).
    if order.started_at is None:
        order.started_at = now
    if status in (Order.PrepStatus.READY, Order.PrepStatus.COLLECTED) and order.ready_at is None:
        order.ready_at = now
        if status == Order.PrepStatus.READY and order.member is not None:
            notice_send(
                member=order.member,
                kind="order",
                title=notice_text(gettext_noop("Your order is ready at %(store)s"), store=order.store.name),
                body=notice_text(gettext_noop("Order %(number)s is waiting for you at the counter."), number=order.pk),
                link=ahead_order_link(order),
            )
    if status == Order.PrepStatus.COLLECTED:
        order.collected_at = now
