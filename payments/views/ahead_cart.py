"""Order ahead in the portal: the cart (quantities, coupon, a reward, points,
pickup time) and paying for it from the wallet.

Paying calls ahead_order_place with the cart's one-time key as the order's
idempotency key, taken in the service's own transaction: a double tap or a
resent form finds the key taken and is shown the order the first one placed;
a refusal rolls the key back with everything else, so the member fixes the
cart and pays again with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.problems import Problem
from campaigns.earning import QuoteLine
from campaigns.models import Reward
from campaigns.rewards import reward_preview
from campaigns.selectors import coupons_live, reward_by_id, rewards_active
from members.models import Member
from members.services import member_get_or_create_for_user
from payments.models import IdempotencyRecord, Order, Store
from payments.selectors.ahead import ahead_menu
from payments.selectors.orders import points_tender_preview
from payments.selectors.wallet import wallet_balance
from payments.services.ahead import AheadLine, ahead_order_place, ahead_ready_estimate, store_intervals, store_zone
from payments.services.claims import ClaimTaken
from payments.views.ahead_menu import ordering_store, store_choice
from payments.views.ahead_session import (
    PricedCart,
    cart_clear,
    cart_of,
    cart_priced,
    cart_set_coupon,
    cart_set_quantity,
    cart_set_reward,
    cart_set_use_points,
)

SLOT = timedelta(minutes=15)


def pickup_slots(*, store: Store, now: datetime, earliest: datetime) -> list[datetime]:
    """Pickup times today, every 15 minutes inside the opening hours, from
    `earliest` (when the order would be ready if placed now)."""
    zone = store_zone(store)
    earliest = earliest.astimezone(zone)
    slots = []
    for opens, closes in store_intervals(store=store, day=now.astimezone(zone).date()):
        start = max(opens, earliest)
        slot = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
        if slot < start:
            slot += SLOT
        while slot < closes:
            slots.append(slot)
            slot += SLOT
    return slots


def _pickup_at(text: str, zone: tzinfo, today: date) -> datetime | None:
    """None: as soon as possible; else today at the store's local HH:MM.
    ValueError for anything else."""
    if text == "asap":
        return None
    return datetime.combine(today, time.fromisoformat(text), zone)


def _pickup_text(request: HttpRequest) -> str:
    """ "asap", or the time slot chosen (the pay form's two radio buttons)."""
    if request.POST.get("pickup", "asap") == "asap":
        return "asap"
    return request.POST.get("pickup_time", "")


def _quote_lines(cart: PricedCart) -> list[QuoteLine]:
    return [
        QuoteLine(line.product.sku, line.product.category.slug, line.quantity, line.line_total)
        for line in cart.lines
        if line.product is not None and not line.problem
    ]


def _coupon_preview(member: Member, store: Store, cart: PricedCart) -> tuple[int, str, str]:
    """(discount, description, refusal) of the cart's coupon, as the till
    would take it now; the order takes it again when it is paid."""
    if not cart.coupon or not cart.subtotal:
        return 0, "", ""
    from campaigns.coupons import coupon_evaluate

    try:
        found = coupon_evaluate(
            code=cart.coupon, member=member, lines=_quote_lines(cart), subtotal=cart.subtotal, store_slug=store.slug
        )
    except Problem as exc:
        return 0, "", exc.detail
    return found.amount, found.description, ""


@dataclass
class RewardChoice:
    reward: Reward | None = None
    discount: int = 0
    error: str = ""

    @property
    def points(self) -> int:
        """What redeeming it spends (nothing while it is refused)."""
        return self.reward.points_cost if self.reward is not None and not self.error else 0


def _reward_preview(member: Member, cart: PricedCart) -> RewardChoice:
    """The cart's reward and what its coupon would take off, as redeeming it
    when paying would (reward_preview: nothing is spent here)."""
    reward = reward_by_id(reward_id=cart.reward) if cart.reward is not None else None
    if reward is None or not cart.subtotal:
        return RewardChoice(reward=reward)
    try:
        amount = reward_preview(
            member=member, reward=reward, lines=_quote_lines(cart), subtotal=cart.subtotal, other_code=cart.coupon
        )
    except Problem as exc:
        return RewardChoice(reward=reward, error=exc.detail)
    return RewardChoice(reward=reward, discount=amount)


@login_required
def cart(request: HttpRequest, slug: str) -> HttpResponse:
    """The cart: lines with their options and notes (quantity, remove), a
    coupon, the pickup time, the total and the pay button. Edits are POSTs
    that come back here."""
    store = ordering_store(slug)
    if request.method == "POST":
        _edit(request, store)
        return redirect("wallet:ahead_cart", slug=store.slug)
    member = member_get_or_create_for_user(user=request.user)
    now = timezone.now()
    priced = cart_priced(cart_of(request.session, store.slug), ahead_menu(store=store))
    discount, coupon_name, coupon_error = _coupon_preview(member, store, priced)
    chosen = _reward_preview(member, priced)
    total = max(priced.subtotal - discount - chosen.discount, 0)
    # The points offer is shown whether or not it is ticked; ticked, it comes off what the wallet pays.
    points_offer = points_tender_preview(member=member, due=total, spent_first=chosen.points) if total else None
    points_pay = points_offer.covers if points_offer is not None and priced.use_points else 0
    items = max(priced.items, 1)
    choice = store_choice(store, now, items=items)
    ready = choice.ready_estimate or ahead_ready_estimate(store=store, now=now, items=items)
    context = {
        "store": store,
        "choice": choice,
        "cart": priced,
        "discount": discount,
        "coupon_name": coupon_name,
        "coupon_error": coupon_error,
        "total": total,
        "reward": chosen,
        "rewards": [r for r in rewards_active() if r.points_cost <= member.points_balance or r.pk == priced.reward],
        "points_balance": member.points_balance,
        "points_offer": points_offer,
        "points_pay": points_pay,
        "wallet_pays": total - points_pay,
        "slots": pickup_slots(store=store, now=now, earliest=ready),
        "asap_ready": ready,
        "coupons": list(coupons_live(member=member, now=now)[:5]),
        "balance": wallet_balance(member=member),
    }
    return render(request, "payments/ahead_cart.html", context)


def _edit(request: HttpRequest, store: Store) -> None:
    action = request.POST.get("action", "")
    index = request.POST.get("line", "")
    if action in ("quantity", "remove") and index.isdigit():
        wanted = request.POST.get("quantity", "0")
        quantity = int(wanted) if action == "quantity" and wanted.isdigit() else 0
        cart_set_quantity(request.session, store.slug, index=int(index), quantity=quantity)
    elif action == "coupon":
        cart_set_coupon(request.session, store.slug, request.POST.get("coupon", ""))
    elif action == "coupon_remove":
        cart_set_coupon(request.session, store.slug, "")
    elif action == "reward":
        wanted = request.POST.get("reward", "")
        cart_set_reward(request.session, store.slug, int(wanted) if wanted.isdigit() else None)
    elif action == "points":
        cart_set_use_points(request.session, store.slug, request.POST.get("use_points") == "on")


def _claim(request: HttpRequest, key: str) -> IdempotencyRecord:
    """The order's idempotency claim (taken by ahead_order_place), in the
    member's scope like their API requests, under a prefix of its own."""
    return IdempotencyRecord(
        scope=f"user:{request.user.pk}",
        key=f"portal-ahead:{key}",
        request_hash="portal-ahead",
        created_at=timezone.now(),
    )


def _placed_with(request: HttpRequest, key: str) -> Order | None:
    claim = _claim(request, key)
    return Order.objects.filter(idempotency_record__scope=claim.scope, idempotency_record__key=claim.key).first()


def _already_placed(request: HttpRequest, store: Store, key: str) -> HttpResponse:
    """A second tap or a resent form: show the order the first one placed."""
    cart_clear(request.session, store.slug, key=key)
    order = _placed_with(request, key)
    if order is None:  # the first is still being placed
        messages.info(request, _("Your order is being placed; it shows here in a moment."))
        return redirect("wallet:ahead_orders")
    return redirect("wallet:ahead_order", order_id=order.pk)


def _member_words(exc: Problem, member: Member) -> str:
    """The refusal as the member should read it: the wallet's own refusals
    are worded for the barista ("the member can top up")."""
    if exc.code == "insufficient_funds":
        return _("Your wallet holds %(balance)s, not enough for this order. Top up, then pay.") % {
            "balance": format_money(wallet_balance(member=member))
        }
    if exc.code == "limit_exceeded":
        return _("This order would pass your spending limit. See Limits & freeze in your wallet.")
    if exc.code == "account_frozen":
        return _("Your wallet is frozen. Unfreeze it under Limits & freeze, then pay.")
    return exc.detail


@login_required
@require_POST
def pay(request: HttpRequest, slug: str) -> HttpResponse:
    """Order and pay from the wallet. A refusal (closed, paused, sold out,
    pickup time, funds, limits, a frozen wallet) is said on the cart and
    nothing is charged; above the member's no-confirmation limit they approve
    the payment first, then see the order."""
    store = ordering_store(slug)
    key = request.POST.get("key", "")
    current = cart_of(request.session, store.slug)
    if not key or key != current["key"]:
        # A form for a cart that has been ordered already (a resend from
        # the history), or for none: show that order, else the cart as it is.
        if key and _placed_with(request, key) is not None:
            return _already_placed(request, store, key)
        return redirect("wallet:ahead_cart", slug=store.slug)
    priced = cart_priced(current, ahead_menu(store=store))
    if not priced.lines:
        messages.error(request, _("Your cart is empty."))
        return redirect("wallet:ahead_cart", slug=store.slug)
    if any(line.gone for line in priced.lines):
        messages.error(request, _("Remove what can no longer be ordered, then pay."))
        return redirect("wallet:ahead_cart", slug=store.slug)
    now = timezone.now()
    zone = store_zone(store)
    try:
        pickup_at = _pickup_at(_pickup_text(request), zone, now.astimezone(zone).date())
    except ValueError:
        messages.error(request, _("Choose a pickup time."))
        return redirect("wallet:ahead_cart", slug=store.slug)
    lines = [
        AheadLine(
            product=line.product, quantity=line.quantity, modifier_ids=tuple(o.pk for o in line.options), note=line.note
        )
        for line in priced.lines
        if line.product is not None
    ]
    member = member_get_or_create_for_user(user=request.user)
    try:
        placed = ahead_order_place(
            member=member,
            store=store,
            lines=lines,
            pickup_at=pickup_at,
            coupon_code=current.get("coupon", ""),
            reward=priced.reward,
            use_points=priced.use_points,
            idempotency_record=_claim(request, key),
            now=now,
        )
    except ClaimTaken:
        return _already_placed(request, store, key)
    except Problem as exc:
        messages.error(request, _member_words(exc, member))
        return redirect("wallet:ahead_cart", slug=store.slug)
    cart_clear(request.session, store.slug, key=key)
    if placed.needs_confirmation:
        assert placed.payment is not None
        return redirect("wallet:confirm", payment_id=placed.payment.pk)
    messages.success(
        request,
        _("Ordered and paid %(amount)s. We will tell you when it is ready.")
        % {"amount": format_money(placed.order.total)},
    )
    return redirect("wallet:ahead_order", order_id=placed.order.pk)
