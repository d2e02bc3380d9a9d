"""The cart of an order: lines, modifiers, member, coupons, and the totals.

Totals are computed by one function (`order_recalculate`), in integer minor
units: line total = (product price + modifiers) × quantity; discounts from
coupons are each rounded down by the coupon rule and never exceed the
subtotal; total = subtotal − discounts."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.coupons import coupon_evaluate, coupon_reserve, coupon_unreserve
from members.models import Member
from payments.exceptions import PaymentCodeInvalid, WalletError
from payments.models import (
    ModifierOption,
    Order,
    OrderCoupon,
    OrderLine,
    Product,
    Store,
    Tender,
)
from payments.selectors.codes import payment_code_by_hash, payment_code_check_live
from payments.selectors.menu import options_as_added, options_marked_sold_out
from payments.selectors.orders import order_lines_for_quote, quote_lines
from payments.services.orders.errors import ItemSoldOut, TillError
from payments.services.risk import wallet_refusal_record

# --- Cart ---------------------------------------------------------------------------


def order_open(*, store: Store, barista: Any) -> Order:
    """A new till order; it joins the shift open when it is paid (see settle)."""
    return Order.objects.create(store=store, barista=barista, channel=Order.Channel.TILL)


def _editable(order: Order) -> None:
    if order.status != Order.Status.OPEN or order.tenders.exclude(status=Tender.Status.FAILED).exists():
        raise TillError(_("This order is already being paid; start a new one to change it."))


def order_add_product(*, order: Order, product: Product, modifier_ids: list[int] | None = None) -> OrderLine:
    """A line of `product` with the options chosen, or (None) the options a
    tap adds (options_as_added). Refuses an option sold out at the order's
    store (item_sold_out): every channel that builds a cart (the till, the
    usual, order ahead) comes through here or order_line_set_modifiers. The
    offline till's sync does not: a sale made offline stands as rung up."""
    _editable(order)
    if not product.is_active or product.unavailable_at.filter(pk=order.store_id).exists():
        raise TillError(_("%(product)s is not available today.") % {"product": product.name})
    allowed = _options_here(order, product)
    if modifier_ids is None:
        chosen = options_as_added(allowed.values())
    else:
        chosen = [allowed[i] for i in modifier_ids if i in allowed]
    groups = [m.group for m in chosen]
    if len(groups) != len(set(groups)) and any(g.lower() in {"size", "milk"} for g in groups):
        raise TillError(_("Choose one size and one milk."))
    _refuse_sold_out(order, chosen)
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
    """The line's options become these (one per group; the last wins).
    Refuses an option sold out at the order's store, one already on the
    line too: the drink cannot be made so, and the barista picks another."""
    _editable(line.order)
    allowed = _options_here(line.order, line.product)
    chosen_by_group: dict[str, ModifierOption] = {}
    for i in modifier_ids:
        if i in allowed:
            chosen_by_group[allowed[i].group] = allowed[i]  # one choice per group; the last wins
    chosen = list(chosen_by_group.values())
    _refuse_sold_out(line.order, chosen)
    line.modifiers.set(chosen)
    line.unit_price = line.product.price + sum(m.price for m in chosen)
    line.modifiers_label = ", ".join(m.name for m in chosen if not m.is_default or m.price)
    line.save(update_fields=["unit_price", "modifiers_label"])
    order_recalculate(order=line.order)
    return line


def _options_here(order: Order, product: Product) -> dict[int, ModifierOption]:
    """The product's options by id, each marked sold out or not at the
    order's store; read now (one query), so a toggle a moment ago counts."""
    options = options_marked_sold_out(store_id=order.store_id).filter(products=product)
    return {option.pk: option for option in options.order_by("group", "position", "name")}


def _refuse_sold_out(order: Order, chosen: list[ModifierOption]) -> None:
    for option in chosen:
        if option.sold_out_here:  # type: ignore[attr-defined]
            raise ItemSoldOut(
                _("%(option)s is sold out at %(store)s; choose another %(group)s.")
                % {"option": option.name, "store": order.store.name, "group": option.group}
            )


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
    """The member is identified, at any point before the order is fully paid:
    after a part paid in cash, the wallet can take the rest. By card number
    (no code) the member earns on the order but is not proven; by a live
    payment code of theirs (checked here: not unknown, used, expired or
    retired) they are proven, and the order may spend their points and
    coupons. Another member cannot take over an order someone already paid
    part of, nor one holding the first member's coupons."""
    if scanned_code_hash:
        code = payment_code_check_live(code=payment_code_by_hash(code_hash=scanned_code_hash), now=timezone.now())
        if code.member_id != member.pk:
            raise PaymentCodeInvalid(_("That payment code belongs to someone else."))
    _attach(order, member, scanned_code_hash)


def order_attach_member_by_code(*, order: Order, code_hash: str) -> Member:
    """The till scanned a payment code: attach its member, proven, and keep the
    code to pay with. A dead code is refused with its own code (expired,
    used, unknown) and counted like a refused payment, so replayed codes
    reach the managers' risk alerts."""
    try:
        code = payment_code_check_live(code=payment_code_by_hash(code_hash=code_hash), now=timezone.now())
    except WalletError as exc:
        wallet_refusal_record(exc=exc, member=exc.member, terminal=order.terminal)
        raise
    _attach(order, code.member, code_hash)
    return code.member


def _attach(order: Order, member: Member, code_hash: str) -> None:
    if order.status != Order.Status.OPEN:
        raise TillError(_("This order is already paid."))
    if order.member_id not in (None, member.pk):
        if order.tenders.exclude(status=Tender.Status.FAILED).exists():
            raise TillError(_("Another member is already paying this order; start a new one."))
        if order.coupons.exists():
            raise TillError(_("This order holds another member's coupons; take them off first."))
    order.member = member
    order.scanned_code_hash = code_hash
    order.member_proven = bool(code_hash)
    order.save(update_fields=["member", "scanned_code_hash", "member_proven"])
    order_recalculate(order=order)


def order_require_proven_member(order: Order) -> Member:
    """Points and coupons are the member's to spend: the order needs their live
    payment code scanned, not the card number anyone can read off a receipt."""
    if order.member is None or not order.member_proven:
        raise TillError(_("Scan the member's payment code on their phone to use their points or coupons."))
    return order.member


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("store", "member").get(pk=order.pk)


def order_apply_coupon(*, order: Order, code: str) -> OrderCoupon:
    """Put a coupon of the proven member on the open order and hold it for this
    order (campaigns' coupon_reserve) until it is paid, taken off, or the hold
    lapses: no other order, at this till or another, can use it meanwhile.
    Lock order: the order, then the coupon's template, then the coupon."""
    with transaction.atomic(durable=True):
        applied_coupon = order_apply_coupon_locked(order=_lock(order), code=code)
    order.refresh_from_db()
    return applied_coupon


def order_apply_coupon_locked(*, order: Order, code: str) -> OrderCoupon:
    """`order_apply_coupon` inside the caller's transaction, with `order`
    locked by it (order ahead builds and pays its order in one)."""
    code = code.strip().upper()
    _editable(order)
    member = order_require_proven_member(order)
    applied = list(order.coupons.values_list("code", flat=True))
    if code in applied:
        raise TillError(_("That coupon is already on this order."))
    discount = coupon_evaluate(
        code=code,
        member=member,
        lines=quote_lines(order_lines_for_quote(order)),
        subtotal=order.subtotal,
        at=timezone.now(),
        store_slug=order.store.slug,
        applied_codes=[*applied, code],
    )
    coupon_reserve(code=discount.code, member=member, order_reference=order.reference)
    applied_coupon = OrderCoupon.objects.create(
        order=order, code=discount.code, description=discount.description, discount=discount.amount
    )
    order_recalculate(order=order)
    return applied_coupon


def order_remove_coupon(*, order: Order, applied_id: int) -> None:
    """Take a coupon off the open order and let go of its hold, so the member
    can use it on another order."""
    with transaction.atomic(durable=True):
        locked = _lock(order)
        _editable(locked)
        applied = locked.coupons.filter(pk=applied_id).first()
        if applied is None:
            raise TillError(_("That coupon is not on this order."))
        applied.delete()
        coupon_unreserve(code=applied.code, order_reference=locked.reference)
        order_recalculate(order=locked)
    order.refresh_from_db()


def order_recalculate(*, order: Order) -> Order:
    subtotal = sum(line.line_total for line in order.lines.all())
    discount = min(order.coupons.aggregate(s=Sum("discount"))["s"] or 0, subtotal)
    order.subtotal, order.discount, order.total = subtotal, discount, subtotal - discount
    order.save(update_fields=["subtotal", "discount", "total"])
    return order
