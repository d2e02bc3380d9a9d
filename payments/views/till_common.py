"""What every till page shares: the signed-in barista's store, the open
order, the cart partial and safe text from the form."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.problems import Problem
from cafe_loyalty.core.rulecache import RuleCache
from campaigns.perks import member_perks
from payments.models import ModifierOption, Order, OrderLine, Store, StoreStaff, Tender
from payments.recommendations.shown import NOTHING, recommendations_for_member
from payments.selectors.menu import options_marked_sold_out
from payments.selectors.orders import order_at_store, order_points_preview, points_tender_preview
from payments.selectors.risk import wallet_pause_current
from payments.selectors.wallet import wallet_balance
from payments.services import orders as svc
from payments.services.orders.results import PaidCart

SESSION_ORDER = "pos_order_id"


def typed(request: HttpRequest, name: str, *, limit: int = 200, method: str = "POST") -> str:
    """A text field as the till sent it, made safe to store: control
    characters (PostgreSQL refuses NUL in text) dropped, trimmed, cut to limit."""
    raw = getattr(request, method).get(name, "")
    return "".join(ch for ch in raw if ch.isprintable()).strip()[:limit]


def till_store(request: HttpRequest) -> Store:
    """The signed-in barista's store (the first active store for staff with
    none). Every till request asks, and who works where changes rarely, so
    the answer is memoised per process like the rule rows
    (cafe_loyalty.core.rulecache): a store or staff row saved or deleted in
    this process forgets it at once, other processes within 5 s. A copy per
    request: the memo is shared by the process's threads."""
    user_id = int(request.user.pk or 0)
    memo = _till_stores.get()
    store = memo.get(user_id)
    if store is None:
        store = memo[user_id] = _till_store_read(user_id)
    return copy.copy(store)


def _till_store_read(user_id: int) -> Store:
    role = StoreStaff.objects.filter(user_id=user_id).select_related("store").first()
    if role is not None:
        return role.store
    store = Store.objects.filter(is_active=True).first()
    if store is None:
        raise Problem(_("No store is set up yet: a manager adds one in the admin."))
    return store


# user id -> the store their till works for.
_till_stores: RuleCache[dict[int, Store]] = RuleCache(dict, models=(Store, StoreStaff))


def current_order(request: HttpRequest, store: Store) -> Order:
    """The till's open order, opened now if there is none. The session's
    order id may name an order paid since (the pay view leaves it there):
    only an open order is resumed."""
    order_id = request.session.get(SESSION_ORDER)
    order = Order.objects.filter(pk=order_id, store=store, status=Order.Status.OPEN).first() if order_id else None
    if order is None:
        order = svc.order_open(store=store, barista=request.user)
        request.session[SESSION_ORDER] = order.pk
    return order


def order_for(request: HttpRequest, order_id: int) -> Order:
    """The barista's store's order `order_id`, with its member and tier. Its
    store is the barista's, from till_store's memo, not joined again."""
    store = till_store(request)
    order = order_at_store(order_id=order_id, store_id=store.pk)
    if order is None:
        raise Http404("No such order at this till's store.")
    order.store = store
    return order


def cart_context(
    order: Order,
    *,
    error: str = "",
    notice: str = "",
    known_wallet_balance: int | None = None,
    paid_cart: PaidCart | None = None,
) -> dict[str, Any]:
    """The cart partial's context. `wallet_short`: the scanned wallet holds
    less than is due, so the till offers it and the rest in one tap.
    `points_tender`: what the Points button would spend and cover.
    `wallet_pause`: a manager's pause of wallet payments at this store, which
    disables the Wallet button (other tenders keep working).
    `for_you`: the member's usual (one tap adds it) and what they may like,
    beside their name while the order can still take items.
    `known_wallet_balance`: the member's wallet balance, when the caller has
    it from a charge it just made (saves reading the wallet again).
    `paid_cart`: the lines, coupons and tenders the tender that paid the
    order read under its lock (saves reading them again)."""
    tenders = paid_cart.tenders if paid_cart else list(Tender.objects.filter(order=order))
    # Lines are edited (option buttons) only on an open order nothing has paid
    # yet, and the pay buttons (with the pause that disables Wallet) show only
    # while something is due: a paid order's cart reads neither. Lines that
    # cannot be edited show their options as written (`modifiers_label`).
    editable = order.status == Order.Status.OPEN and not tenders
    if paid_cart:
        lines = paid_cart.lines
    else:
        lines_query = OrderLine.objects.filter(order=order).select_related("product__category")
        # Each option marked sold out at this store (its button is disabled).
        options = Prefetch("product__modifiers", queryset=options_marked_sold_out(store_id=order.store_id))
        lines = list(lines_query.prefetch_related("modifiers", options) if editable else lines_query)
    paid = sum(t.amount for t in tenders if t.status == Tender.Status.SETTLED)
    pending = [t for t in tenders if t.status == Tender.Status.PENDING]
    is_open = order.status == Order.Status.OPEN
    pause = wallet_pause_current(store_id=order.store_id) if is_open else None
    preview = order_points_preview(order=order) if order.member_id and is_open else None
    for line in lines if editable else ():
        chosen = {m.pk for m in line.modifiers.all()}
        groups: dict[str, list[tuple[Any, bool]]] = {}
        for option in line.product.modifiers.all():
            groups.setdefault(option.group, []).append((option, option.pk in chosen))
        line.option_groups = dict(sorted(groups.items(), key=_group_rank))  # type: ignore[attr-defined]
    due = max(order.total - paid - sum(t.amount for t in pending), 0)
    balance = known_wallet_balance
    if balance is None and order.member:
        balance = wallet_balance(member=order.member)
    return {
        "order": order,
        "lines": lines,
        "coupons": paid_cart.coupons if paid_cart else list(order.coupons.all()),
        "tenders": tenders,
        "paid": paid,
        "due": due,
        "pending": pending,
        "points_preview": preview,
        "error": error,
        "notice": notice,
        "pay_key": uuid.uuid4().hex,
        "wallet_balance": balance,
        "wallet_pause": pause,
        "wallet_short": _wallet_short(order, due, balance, pause),
        # The member's perks today at this store, beside their name.
        "perks": member_perks(
            member=order.member, at=timezone.now(), store_slug=order.store.slug, zone=order.store.zone
        )
        if order.member and is_open
        else [],
        "for_you": recommendations_for_member(member=order.member, store=order.store)
        if order.member and editable
        else NOTHING,
        "points_tender": points_tender_preview(member=order.member, due=due)
        if order.member and order.member_proven and due
        else None,
    }


# The order a barista asks in: size first, then milk and the rest, extras last.
GROUP_ORDER = ("size", "milk", "temperature", "ice", "sweetness")


def _group_rank(item: tuple[str, list[tuple[Any, bool]]]) -> tuple[int, str]:
    return option_group_rank(item[1][0][0])


def option_group_rank(option: ModifierOption) -> tuple[int, str]:
    """Where an option's group goes among a product's groups (size first).
    Ranked by the group's English name, whatever language the till is in."""
    name = (getattr(option, "group_en", None) or option.group).lower()
    return (GROUP_ORDER.index(name) if name in GROUP_ORDER else len(GROUP_ORDER), name)


def _wallet_short(order: Order, due: int, balance: int | None, pause: Any) -> dict[str, int] | None:
    """When the scanned wallet holds something but less than is due: the
    wallet part and the rest, for the one-tap "Wallet + the rest" buttons."""
    if not order.scanned_code_hash or pause or balance is None or not 0 < balance < due:
        return None
    return {"wallet": balance, "rest": due - balance}


def render_cart(
    request: HttpRequest,
    order: Order,
    *,
    error: str = "",
    notice: str = "",
    known_wallet_balance: int | None = None,
    paid_cart: PaidCart | None = None,
) -> HttpResponse:
    context = cart_context(
        order, error=error, notice=notice, known_wallet_balance=known_wallet_balance, paid_cart=paid_cart
    )
    return render(request, "pos/till.html#cart", context)
