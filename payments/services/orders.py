"""The till's orders: cart, totals, tenders, refunds.

Totals are computed by one function (`order_recalculate`), in integer minor
units: line total = (product price + modifiers) × quantity; discounts from
coupons are each rounded down by the coupon rule and never exceed the
subtotal; total = subtotal − discounts. An order is paid when its settled
tenders cover the total. Every money movement goes through the wallet
service; every tender carries an idempotency key generated in the page, so a
double tap or a retried request never charges twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.money import format_money
from members.models import Member
from members.services import member_language, notice_send, notice_text, notices_batched
from payments import loyalty_bridge, pos_loyalty
from payments.exceptions import WalletError
from payments.models import (
    ModifierOption,
    Order,
    OrderCoupon,
    OrderLine,
    Payment,
    Product,
    Shift,
    Store,
    Tender,
)
from payments.services.wallet import payment_create, payment_refund_in_transaction


class TillError(WalletError):
    status, code, title = 422, "till_error", "Cannot do that"


# --- Cart ---------------------------------------------------------------------------


def order_open(*, store: Store, barista: Any) -> Order:
    shift = Shift.objects.filter(store=store, closed_at__isnull=True).first()
    return Order.objects.create(store=store, barista=barista, shift=shift)


def _editable(order: Order) -> None:
    if order.status != Order.Status.OPEN or order.tenders.exists():
        raise TillError(_("This order is already being paid; start a new one to change it."))


def order_add_product(*, order: Order, product: Product, modifier_ids: list[int] | None = None) -> OrderLine:
    _editable(order)
    if not product.is_active or product.unavailable_at.filter(pk=order.store_id).exists():
        raise TillError(_("%(product)s is not available today.") % {"product": product.name})
    allowed = {m.pk: m for m in product.modifiers.all()}
    if modifier_ids is None:
        chosen = [m for m in allowed.values() if m.is_default]
    else:
        chosen = [allowed[i] for i in modifier_ids if i in allowed]
    groups = [m.group for m in chosen]
    if len(groups) != len(set(groups)) and any(g.lower() in {"size", "milk"} for g in groups):
        raise TillError(_("Choose one size and one milk."))
    line = OrderLine.objects.create(
        order=order,
        product=product,
        unit_price=product.price + sum(m.price for m in chosen),
        modifiers_label=", ".join(m.name for m in chosen if not m.is_default or m.price),
    )
    line.modifiers.set(chosen)
    order_recalculate(order=order)
    return line


def order_line_set_modifiers(*, line: OrderLine, modifier_ids: list[int]) -> OrderLine:
    _editable(line.order)
    allowed = {m.pk: m for m in line.product.modifiers.all()}
    chosen_by_group: dict[str, ModifierOption] = {}
    for i in modifier_ids:
        if i in allowed:
            chosen_by_group[allowed[i].group] = allowed[i]  # one choice per group; the last wins
    chosen = list(chosen_by_group.values())
    line.modifiers.set(chosen)
    line.unit_price = line.product.price + sum(m.price for m in chosen)
    line.modifiers_label = ", ".join(m.name for m in chosen if not m.is_default or m.price)
    line.save(update_fields=["unit_price", "modifiers_label"])
    order_recalculate(order=line.order)
    return line


def order_line_set_quantity(*, line: OrderLine, quantity: int) -> None:
    _editable(line.order)
    order = line.order
    if quantity <= 0:
        line.delete()
    else:
        line.quantity = min(quantity, 99)
        line.save(update_fields=["quantity"])
    order_recalculate(order=order)


def order_attach_member(*, order: Order, member: Member, scanned_code_hash: str = "") -> None:
    _editable(order)
    order.member = member
    order.scanned_code_hash = scanned_code_hash
    order.save(update_fields=["member", "scanned_code_hash"])
    order_recalculate(order=order)


def quote_lines(order: Order) -> list[pos_loyalty.QuoteLine]:
    prefetched = "lines" in getattr(order, "_prefetched_objects_cache", {})
    lines = order.lines.all() if prefetched else order.lines.select_related("product__category")
    return [
        pos_loyalty.QuoteLine(line.product.sku, line.product.category.slug, line.quantity, line.line_total)
        for line in lines
    ]


def order_apply_coupon(*, order: Order, code: str) -> OrderCoupon:
    _editable(order)
    if order.member is None:
        raise TillError(_("Scan the member's card or payment code first: coupons belong to a member."))
    applied = list(order.coupons.values_list("code", flat=True))
    discount = pos_loyalty.coupon_evaluate(
        code=code,
        member=order.member,
        lines=quote_lines(order),
        subtotal=order.subtotal,
        at=timezone.now(),
        store_slug=order.store.slug,
        applied_codes=[*applied, code.strip().upper()],
    )
    try:
        with transaction.atomic():
            applied_coupon = OrderCoupon.objects.create(
                order=order, code=discount.code, description=discount.description, discount=discount.amount
            )
    except IntegrityError:
        raise TillError("That coupon is already on this order.") from None
    order_recalculate(order=order)
    return applied_coupon


def order_recalculate(*, order: Order) -> Order:
    subtotal = sum(line.line_total for line in order.lines.all())
    discount = min(order.coupons.aggregate(s=Sum("discount"))["s"] or 0, subtotal)
    order.subtotal, order.discount, order.total = subtotal, discount, subtotal - discount
    order.save(update_fields=["subtotal", "discount", "total"])
    return order


def order_points_preview(*, order: Order) -> Any:
    if order.member is None:
        return None
    return pos_loyalty.points_quote(
        member=order.member,
        lines=quote_lines(order),
        total_paid=order.total,
        store_slug=order.store.slug,
        at=timezone.now(),
    )


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
