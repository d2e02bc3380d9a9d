"""Paying an order: tenders (wallet, cash, card, points) and settling it once
they cover the total. Every tender carries an idempotency key made in the page,
so a double tap or a retried request never charges twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from members.notices import member_language, notice_send, notice_text, notices_batched
from payments import loyalty_bridge, pos_loyalty
from payments.exceptions import WalletError
from payments.models import (
    Order,
    OrderLine,
    Payment,
    Tender,
)
from payments.services.orders.cart import quote_lines
from payments.services.orders.errors import TillError
from payments.services.wallet import payment_create

# --- Paying ----------------------------------------------------------------------------


def order_paid_amount(order: Order) -> int:
    return order.tenders.filter(status=Tender.Status.SETTLED).aggregate(s=Sum("amount"))["s"] or 0


def order_due(order: Order) -> int:
    pending = order.tenders.filter(status=Tender.Status.PENDING).aggregate(s=Sum("amount"))["s"] or 0
    return max(order.total - order_paid_amount(order) - pending, 0)


@dataclass
class TenderResult:
    tender: Tender
    replayed: bool


def order_add_tender(
    *,
    order: Order,
    kind: str,
    idempotency_key: str,
    actor: Any,
    amount: int | None = None,
    cash_received: int | None = None,
    points: int | None = None,
) -> TenderResult:
    """Take one tender. A key seen before returns the tender it created.

    Cash, card and points are taken with the order row locked, so two taps
    with different keys cannot both take what is due. The wallet is charged
    outside that lock (its payment is its own durable transaction); its one-time
    code stops a second charge."""
    existing = Tender.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.order_id != order.pk:
            raise TillError(_("That button was for another order; reload the till."))
        return TenderResult(existing, True)
    if kind == Tender.Kind.WALLET:
        tender = _wallet_tender(order, _amount_due(order, amount), idempotency_key, actor)
    elif kind in (Tender.Kind.CASH, Tender.Kind.CARD, Tender.Kind.POINTS):
        with transaction.atomic():
            locked = Order.objects.select_for_update(of=("self",)).select_related("member").get(pk=order.pk)
            raced = Tender.objects.filter(idempotency_key=idempotency_key, order=locked).first()
            if raced is not None:  # the same tap, twice at once: the first one took it
                return TenderResult(raced, True)
            tender = _local_tender(locked, kind, _amount_due(locked, amount), idempotency_key, cash_received, points)
    else:
        raise TillError(_("Unknown tender."))
    order_settle_if_covered(order=order)
    return TenderResult(tender, False)


def _amount_due(order: Order, wanted: int | None) -> int:
    if order.status != Order.Status.OPEN:
        raise TillError(_("This order is already paid."))
    due = order_due(order)
    if due <= 0 and order.total > 0:
        raise TillError(_("Nothing left to pay."))
    return due if wanted is None else min(wanted, due)


def _local_tender(
    order: Order, kind: str, amount: int, key: str, cash_received: int | None, points: int | None
) -> Tender:
    """Cash, card or points: taken at the till, no wallet involved."""
    if kind == Tender.Kind.CASH:
        received = cash_received if cash_received is not None else amount
        if received < amount and received > 0:
            amount = received  # part paid in cash; the rest by another tender
        change = max(received - amount, 0)
        return _create_tender(order, kind, amount, key, cash_received=received, change_given=change)
    if kind == Tender.Kind.CARD:
        return _create_tender(order, kind, amount, key)
    if order.member is None:
        raise TillError(_("Scan the member first to pay with points."))
    value = pos_loyalty.point_value()
    wanted = points if points is not None else -(-amount // value)
    wanted = min(wanted, order.member.points_balance, -(-amount // value))
    if wanted <= 0:
        raise TillError(_("The member has no points to use."))
    pos_loyalty.points_spend(member=order.member, points=wanted, source="Paid at the till", reference=order.reference)
    return _create_tender(order, kind, min(wanted * value, amount), key, points_used=wanted)


def _create_tender(order: Order, kind: str, amount: int, key: str, **extra: Any) -> Tender:
    if amount <= 0:
        raise TillError(_("Enter an amount above zero."))
    return Tender.objects.create(order=order, kind=kind, amount=amount, idempotency_key=key, **extra)


def _wallet_tender(order: Order, amount: int, key: str, actor: Any) -> Tender:
    if not order.scanned_code_hash:
        raise TillError(_("Scan the member's payment code to pay with the wallet."))
    # Claim the key first: a double tap finds it and never reaches the wallet twice.
    try:
        with transaction.atomic():
            tender = Tender.objects.create(
                order=order, kind=Tender.Kind.WALLET, amount=amount, idempotency_key=key, status=Tender.Status.PENDING
            )
    except IntegrityError:
        return Tender.objects.get(idempotency_key=key)
    try:
        result = payment_create(
            code_hash=order.scanned_code_hash,
            amount=amount,
            store=order.store,
            actor=actor,
            reference=order.reference,
            award_points=False,
        )
    except WalletError:
        tender.delete()
        raise
    tender.payment = result.payment
    tender.status = (
        Tender.Status.SETTLED if result.payment.status == Payment.Status.SUCCEEDED else Tender.Status.PENDING
    )
    tender.save(update_fields=["payment", "status"])
    Order.objects.filter(pk=order.pk).update(scanned_code_hash="")  # a code pays once
    order.scanned_code_hash = ""
    return tender


def order_refresh_pending(*, order: Order) -> Order:
    """Follow wallet tenders waiting for the member's confirmation."""
    for tender in order.tenders.filter(status=Tender.Status.PENDING).select_related("payment"):
        payment = tender.payment
        if payment is None:
            continue
        payment.refresh_from_db()
        if payment.status == Payment.Status.SUCCEEDED:
            tender.status = Tender.Status.SETTLED
        elif payment.status in (Payment.Status.DECLINED, Payment.Status.EXPIRED):
            tender.status = Tender.Status.FAILED
        else:
            from payments.services.wallet import payment_expire_if_due

            payment_expire_if_due(payment=payment)
            continue
        tender.save(update_fields=["status"])
    order_settle_if_covered(order=order)
    return order


def order_settle_if_covered(*, order: Order) -> bool:
    """When settled tenders cover the total: paid, coupons redeemed, points
    earned once for the whole order, the member told."""
    with transaction.atomic(), notices_batched():
        # Lines and coupons are read for the points quote, the coupons and the
        # receipt: fetched once here.
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("store", "member")
            .prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.select_related("product__category")), "coupons"
            )
            .get(pk=order.pk)
        )
        if locked.status != Order.Status.OPEN or order_paid_amount(locked) < locked.total:
            return False
        now = timezone.now()
        if locked.member is not None:
            for applied in locked.coupons.all():
                pos_loyalty.coupon_redeem(
                    code=applied.code, member=locked.member, order_reference=locked.reference, discount=applied.discount
                )
            paid_with_points = locked.tenders.filter(kind=Tender.Kind.POINTS).aggregate(s=Sum("amount"))["s"] or 0
            earning_amount = locked.total - paid_with_points
            loyalty = (
                loyalty_bridge.award_for_paid_order(
                    member=locked.member,
                    amount=earning_amount,
                    reference=locked.reference,
                    store_slug=locked.store.slug,
                    at=now,
                    lines=quote_lines(locked),
                )
                if earning_amount > 0
                else loyalty_bridge.LoyaltyResult()
            )
            locked.points_earned = loyalty.points_earned
            locked.points_explanation = "\n".join(loyalty.explanation)
            notice_send(
                member=locked.member,
                kind="wallet",
                title=notice_text(
                    gettext_noop("Receipt %(amount)s at %(store)s"),
                    amount=format_money(locked.total),
                    store=locked.store.name,
                ),
                body=_receipt_text(locked, points_earned=loyalty.points_earned, paid_at=now),
                link=f"/wallet/receipts/{locked.pk}/",
            )
        locked.status = Order.Status.PAID
        locked.paid_at = now
        locked.scanned_code_hash = ""
        locked.save(update_fields=["status", "paid_at", "points_earned", "points_explanation", "scanned_code_hash"])
    order.refresh_from_db()
    return True


def _receipt_text(order: Order, *, points_earned: int, paid_at: Any) -> str:
    """The receipt as plain text: the body of the inbox notice, and of the
    email when the member agreed to activity emails."""
    assert order.member is not None
    with translation.override(member_language(order.member)):
        rows = [f"{order.store.name} · {order.reference} · {timezone.localtime(paid_at):%Y-%m-%d %H:%M}", ""]
        for line in order.lines.all():
            extras = f" ({line.modifiers_label})" if line.modifiers_label else ""
            rows.append(f"{line.quantity} × {line.product.name}{extras}  {format_money(line.line_total)}")
        for coupon in order.coupons.all():
            rows.append(f"{coupon.description}  −{format_money(coupon.discount)}")
        rows.append(_("Total %(amount)s") % {"amount": format_money(order.total)})
        for tender in order.tenders.filter(status=Tender.Status.SETTLED):
            rows.append(
                _("Paid by %(tender)s %(amount)s")
                % {"tender": tender.get_kind_display().lower(), "amount": format_money(tender.amount)}
            )
        rows.append("")
        rows.append(
            _("Points earned %(points)s · points balance %(balance)s")
            % {"points": points_earned, "balance": order.member.points_balance}
        )
        return "\n".join(rows)
