"""Refunding a paid order, whole or by item, back to its tenders."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from members.notices import notices_batched
from payments import loyalty_bridge
from payments.models import (
    Order,
    OrderLine,
    Tender,
)
from payments.services.orders.errors import TillError
from payments.services.wallet import payment_refund_in_transaction

# --- Refunds -------------------------------------------------------------------------------


def _items_to_refund(order: Order, quantities: dict[int, int]) -> list[tuple[OrderLine, int]]:
    """(line, how many) for the requested items; refuses more than a line has left."""
    chosen = []
    for line in order.lines.filter(pk__in=list(quantities)).select_related("product"):
        count = quantities[line.pk]
        if count <= 0:
            continue
        if count > line.refundable_quantity:
            raise TillError(
                _("Only %(count)s of %(product)s left to refund on this order.")
                % {"count": line.refundable_quantity, "product": line.product.name}
            )
        chosen.append((line, count))
    return chosen


def order_refund_amount(*, order: Order, quantities: dict[int, int] | None) -> int:
    """What refunding these items (line id → how many) gives back: their share of
    the paid total (discounts spread in proportion), rounded down; all that is
    left for None, so refunding the rest of an order settles any rounding."""
    left = order.total - order.refunded_amount
    if quantities is None:
        return left
    share = sum(line.unit_price * count for line, count in _items_to_refund(order, quantities))
    if not order.subtotal:
        return 0
    return min(left, share * order.total // order.subtotal)


def order_refund(
    *,
    order: Order,
    actor: Any,
    approved_by: Any = None,
    reason: str = "",
    quantities: dict[int, int] | None = None,
) -> int:
    """Refund a paid order, whole (quantities=None) or some items of some lines
    (line id → how many), to its original
    tenders in proportion: wallet back to the wallet, points back as points,
    cash and card recorded. Points the order earned are reversed in the same
    proportion; a fully refunded order releases its coupons. Returns the amount.

    One transaction with the order row locked first: two tills refunding the
    same order queue, and the second sees what the first refunded; a refusal
    anywhere (a wallet refund, say) leaves every tender as it was."""
    from payments.services.wallet import refund_needs_approval

    with transaction.atomic(durable=True), notices_batched():
        locked = Order.objects.select_for_update(of=("self",)).select_related("member").get(pk=order.pk)
        if locked.status != Order.Status.PAID:
            raise TillError(_("Only paid orders can be refunded."))
        amount = order_refund_amount(order=locked, quantities=quantities)
        if amount <= 0:
            raise TillError(_("Nothing left to refund on those lines."))
        if refund_needs_approval(amount=amount) and not (
            approved_by and approved_by.has_perm("payments.approve_refund")
        ):
            raise TillError(
                _("Refunds above %(threshold)s need a shift manager: ask them to approve with their login.")
                % {"threshold": format_money(_threshold())}
            )
        tenders = [
            t
            for t in locked.tenders.select_for_update(of=("self",))
            .filter(status=Tender.Status.SETTLED)
            .select_related("payment")
            .order_by("-amount", "pk")
            if t.amount > t.refunded_amount
        ]
        refund_number = locked.refund_steps + 1
        for tender, part in zip(tenders, _split_by_tender(amount, tenders), strict=True):
            if part <= 0:
                continue
            if tender.kind == Tender.Kind.WALLET and tender.payment is not None:
                payment_refund_in_transaction(
                    payment_id=tender.payment.pk,
                    amount=part,
                    reason=reason or "Till refund",
                    actor=actor,
                    approved_by=approved_by,
                )
            Tender.objects.filter(pk=tender.pk).update(refunded_amount=F("refunded_amount") + part)
        if locked.member is not None and locked.total:
            loyalty_bridge.reverse_for_refund(
                member=locked.member,
                reference=locked.reference,
                refund_amount=amount,
                original_amount=locked.total,
                refund_reference=f"{locked.reference}:refund:{refund_number}",
            )
        refunded_total = locked.refunded_amount + amount
        if quantities is None:
            locked.lines.update(refunded_quantity=F("quantity"))
        else:
            for line, count in _items_to_refund(locked, quantities):
                OrderLine.objects.filter(pk=line.pk).update(refunded_quantity=line.refunded_quantity + count)
        status = Order.Status.REFUNDED if refunded_total >= locked.total else Order.Status.PAID
        Order.objects.filter(pk=locked.pk).update(
            status=status, refunded_amount=refunded_total, refund_steps=refund_number
        )
    order.refresh_from_db()
    return amount


def _split_by_tender(amount: int, tenders: list[Tender]) -> list[int]:
    """Split a refund across tenders in proportion to what each paid; the
    rounding remainder goes to the largest tender that still has room."""
    paid = sum(t.amount for t in tenders) or 1
    parts = [min(t.amount - t.refunded_amount, amount * t.amount // paid) for t in tenders]
    remainder = amount - sum(parts)
    for i, tender in enumerate(tenders):
        take = min(tender.amount - tender.refunded_amount - parts[i], remainder)
        parts[i] += take
        remainder -= take
    return parts


def _threshold() -> int:
    from payments.models import ProgrammeSettings

    return ProgrammeSettings.current().refund_approval_threshold
