"""Placing an order ahead: checked, built on the one sale path, and paid from
the member's wallet in one transaction.

The order is built by the cart services (same prices, options, coupons) and
paid by one wallet tender charged to the signed-in member
(`wallet_charge_member`: the wallet's limits, freeze, pause and
confirmation rule); it is settled like any sale (loyalty earned once). Above
the member's no-confirmation limit it waits, unpaid and out of the queue,
until the member approves (then it is paid and queued) or declines or lets
it expire (then it is void and cancelled; see orders.tenders). As at the
till, the member may redeem a reward (its points become a coupon on this
order: campaigns.rewards) and pay part with points (the till's Points
tender), the wallet paying the rest. Any refusal rolls everything back:
nothing is charged, no point spent, no coupon held, no order left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.exceptions import RewardUnavailable
from campaigns.rewards import reward_redeem
from campaigns.selectors import reward_by_id
from members.exceptions import InsufficientPoints
from members.models import Member
from members.notices import notices_batched
from payments.exceptions import WalletError
from payments.models import IdempotencyRecord, ModifierOption, Order, OrderLine, Payment, Product, Store, Tender
from payments.selectors.orders import points_tender_preview
from payments.services.ahead.errors import ModifierInvalid
from payments.services.ahead.hours import ahead_pickup_check
from payments.services.claims import claim_take
from payments.services.ledger import system_postings_last
from payments.services.orders.cart import order_add_product, order_apply_coupon_locked, order_recalculate
from payments.services.orders.errors import ItemSoldOut, TillError
from payments.services.orders.settle import order_lock_for_settling, order_settle_locked
from payments.services.orders.tenders import order_points_tender_locked, wallet_tender_for
from payments.services.risk import wallet_lock_with_activity, wallet_refusal_record
from payments.services.wallet_payments import wallet_charge_member

MAX_QUANTITY = 20  # of one line: a cafe order, not a catering one
MAX_LINES = 20


@dataclass(frozen=True)
class AheadLine:
    product: Product
    quantity: int = 1
    modifier_ids: tuple[int, ...] = field(default_factory=tuple)
    note: str = ""


@dataclass
class AheadPlaced:
    order: Order
    payment: Payment | None  # None when coupons (or points) paid it all
    wallet_balance: int | None

    @property
    def needs_confirmation(self) -> bool:
        return self.payment is not None and self.payment.status == Payment.Status.REQUIRES_CONFIRMATION


def ahead_order_place(
    *,
    member: Member,
    store: Store,
    lines: list[AheadLine],
    pickup_at: datetime | None = None,
    coupon_code: str = "",
    reward: int | None = None,
    use_points: bool = False,
    idempotency_record: IdempotencyRecord | None = None,
    now: datetime | None = None,
) -> AheadPlaced:
    """Order ahead at `store` for pickup at `pickup_at` (None: as soon as
    possible), paid from the member's wallet. Refuses a store that is off,
    paused or closed then, a pickup in the past or not today, an inactive or
    sold-out item or option, an option that is not the item's or a second one
    of a group — and the wallet's own refusals — with nothing charged.
    `reward`: the id of a reward to redeem now for a coupon on this order
    (refused: reward_unavailable, insufficient_points, or the coupon's own
    refusal); `use_points`: pay what the member's points cover first, as the
    till's Points button does (insufficient_points when they have none)."""
    now = now or timezone.now()
    if not lines or len(lines) > MAX_LINES:
        raise TillError(_("An order ahead has 1 to %(n)s lines.") % {"n": MAX_LINES})
    try:
        with transaction.atomic(durable=True), system_postings_last(), notices_batched():
            claim_take(idempotency_record)  # the key commits with the order (payments.idempotency)
            # Read again in this transaction: a pause or sold-out toggle made
            # a moment ago counts.
            store = Store.objects.prefetch_related("hours").get(pk=store.pk)
            chosen = _check_lines(store, lines)
            items = sum(line.quantity for line in lines)
            ready = ahead_pickup_check(store=store, pickup_at=pickup_at, now=now, items=items)
            order = Order.objects.create(
                channel=Order.Channel.AHEAD,
                store=store,
                member=member,
                # Signed in as themselves: the order may use their coupons.
                member_proven=True,
                prep_status=Order.PrepStatus.RECEIVED,
                pickup_at=pickup_at,
                ready_estimate=ready,
                idempotency_record=idempotency_record,
                created_at=now,
            )
            _build(order, lines, chosen)
            if coupon_code.strip():
                order_apply_coupon_locked(order=order, code=coupon_code)
            if reward is not None:
                # The wallet before the member (the lock order of
                # orders.tenders): redeeming locks the member's points.
                wallet_lock_with_activity(member=member, now=now)
                _redeem_onto(order, member, reward)
            locked = order_lock_for_settling(order_id=order.pk)
            placed = _pay(locked, member, idempotency_record, now, use_points)
    except WalletError as exc:
        wallet_refusal_record(exc=exc, member=exc.member, terminal=None)
        raise
    return placed


def _check_lines(store: Store, lines: list[AheadLine]) -> list[list[int]]:
    """Each line's options (chosen, plus each other group's default), after
    refusing what cannot be ordered. A sold-out option is the cart's to
    refuse (order_add_product, in _build), as at the till."""
    sold_products = set(store.unavailable_products.values_list("pk", flat=True))
    # Read now, not from the caller's objects: a product taken off the menu a
    # moment ago is refused.
    active = set(
        Product.objects.filter(pk__in=[line.product.pk for line in lines], is_active=True).values_list("pk", flat=True)
    )
    chosen_ids = []
    for line in lines:
        product = line.product
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise TillError(_("Order 1 to %(n)s of an item.") % {"n": MAX_QUANTITY})
        if product.pk not in active or product.pk in sold_products:
            raise ItemSoldOut(
                _("%(product)s is sold out at %(store)s.") % {"product": product.name, "store": store.name}
            )
        allowed = {option.pk: option for option in product.modifiers.all()}
        chosen: dict[str, ModifierOption] = {}
        for option_id in line.modifier_ids:
            option = allowed.get(option_id)
            if option is None:
                raise ModifierInvalid(_("That option is not one of %(product)s's.") % {"product": product.name})
            if chosen.get(option.group, option) != option:
                raise ModifierInvalid(
                    _("Choose one %(group)s for %(product)s.") % {"group": option.group, "product": product.name}
                )
            chosen[option.group] = option
        for option in allowed.values():
            if option.is_default and option.group not in chosen:
                chosen[option.group] = option
        chosen_ids.append([option.pk for option in chosen.values()])
    return chosen_ids


def _build(order: Order, lines: list[AheadLine], chosen: list[list[int]]) -> None:
    """The lines, through the cart (the till's prices and option rules)."""
    for line, option_ids in zip(lines, chosen, strict=True):
        made = order_add_product(order=order, product=line.product, modifier_ids=option_ids)
        OrderLine.objects.filter(pk=made.pk).update(quantity=line.quantity, note=line.note.strip()[:120])
    order_recalculate(order=order)


def _redeem_onto(order: Order, member: Member, reward_id: int) -> None:
    """Redeem the reward (its points spent, its coupon issued) and apply the
    coupon to this order, in the order's transaction: a refusal after this
    gives the points back with everything else."""
    reward = reward_by_id(reward_id=reward_id)
    if reward is None:
        raise RewardUnavailable(_("This reward is not available right now."))
    coupon = reward_redeem(member=member, reward=reward)
    order_apply_coupon_locked(order=order, code=coupon.code)


def _points_cover(order: Order, use_points: bool) -> int:
    """What the member's points would pay of the total, as the till's Points
    button shows it (points_tender_preview)."""
    if not use_points or order.total == 0:
        return 0
    assert order.member is not None  # an order ahead is always the member's
    preview = points_tender_preview(member=order.member, due=order.total)
    if preview is None:
        raise InsufficientPoints(_("You have no points to use."))
    return preview.covers


def _pay(order: Order, member: Member, claim: IdempotencyRecord | None, now: datetime, use_points: bool) -> AheadPlaced:
    """One wallet tender for what the points do not cover, then the points
    tender (the wallet before the member's points: the lock order of
    orders.tenders), then settle (paid now, or when the member approves).
    Nothing left to pay (coupons or points paid it all) settles at once."""
    covers = _points_cover(order, use_points)
    rest = order.total - covers
    charge = None
    paid: list[Tender] = []
    if rest:
        charge = wallet_charge_member(
            member=member,
            amount=rest,
            store=order.store,
            reference=order.reference,
            idempotency_record=claim,
            now=now,
        )
        wallet = wallet_tender_for(order, charge, key=f"{order.reference}:wallet", created_at=now)
        paid += [wallet] if wallet.status == Tender.Status.SETTLED else []
    if covers:
        points = order_points_tender_locked(
            order=order, amount=covers, key=f"{order.reference}:points", source="Order ahead"
        )
        if points.amount != covers:  # the preview is the till's sum; never settle short
            raise InsufficientPoints(_("Your points changed meanwhile; look at the cart again."))
        paid.append(points)
    wallet_balance = charge.wallet_balance if charge else None
    order_settle_locked(order=order, now=now, wallet_balance=wallet_balance, settled=paid)
    if charge is None:
        return AheadPlaced(order=order, payment=None, wallet_balance=None)
    return AheadPlaced(order=order, payment=charge.payment, wallet_balance=charge.wallet_balance)
