"""The barista till (HTMX): ring up, scan, pay. Each action returns the cart
partial for htmx requests, so the page never reloads; the full page otherwise."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from modeltranslation.utils import build_localized_fieldname

from cafe_loyalty.core.money import currency, format_money, parse_money
from cafe_loyalty.core.problems import Problem
from members.cards import is_valid_card_number
from members.selectors import member_by_card_number
from payments.exceptions import PaymentCodeInvalid
from payments.models import Order, OrderLine, Product, Tender
from payments.permissions import pos_required
from payments.recommendations.shown import recommendations_for_member
from payments.selectors.menu import options_marked_sold_out, product_till_price, till_menu
from payments.selectors.shifts import shift_current
from payments.services import orders as svc
from payments.services.codes import hash_payment_code, looks_like_payment_code
from payments.services.guessing import guessing_check, guessing_failure_record
from payments.services.offline.online import looks_like_offline_code, order_pay_by_offline_code
from payments.services.orders.split import order_add_wallet_and_rest
from payments.views.till_common import (
    SESSION_ORDER,
    cart_context,
    current_order,
    order_for,
    render_cart,
    till_store,
    typed,
)
from payments.views.till_offline import till_worker_url


@pos_required
def home(request: HttpRequest) -> HttpResponse:
    try:
        store = till_store(request)
    except Problem as exc:
        return render(request, "pos/message.html", {"message": exc.detail})
    order = current_order(request, store)
    categories, quick_keys = till_menu(store=store)
    context = {
        "store": store,
        "categories": categories,
        "quick_keys": quick_keys,
        "shift": shift_current(store=store),
        **cart_context(order),
        # The scan field takes the focus on page load only: in a swapped cart
        # htmx would move the focus there from the button just pressed.
        "full_page": True,
        "worker_url": till_worker_url(),
        "currency_symbol": currency().symbol,
        "currency_exponent": currency().exponent,
    }
    return render(request, "pos/till.html", context)


@pos_required
def search(request: HttpRequest) -> HttpResponse:
    try:
        store = till_store(request)
    except Problem as exc:
        return render(request, "pos/message.html", {"message": exc.detail})
    # The results add to the till's open order; after "new order" there is
    # none yet, so the search opens it just as the till page would.
    order = current_order(request, store)
    q = typed(request, "q", limit=40, method="GET")
    products = (
        Product.objects.filter(is_active=True)
        .exclude(unavailable_at=store)
        .select_related("category")
        # Marked sold out: the tile's price is that of the options a tap adds.
        .prefetch_related(Prefetch("modifiers", queryset=options_marked_sold_out(store_id=store.pk)))
    )
    if q:
        products = products.filter(Q(sku__icontains=q) | _named_in_any_language(q))
    results = list(products[:24])
    for product in results:
        product.till_price = product_till_price(product)  # type: ignore[attr-defined]
    return render(request, "pos/till.html#results", {"results": results, "q": q, "order": order})


@pos_required
@require_POST
def new_order(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_ORDER, None)
    return redirect("pos:home")


@pos_required
@require_POST
def add(request: HttpRequest, order_id: int, product_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    product = get_object_or_404(Product, pk=product_id)
    try:
        svc.order_add_product(order=order, product=product)
    except Problem as exc:
        return render_cart(request, order, error=exc.detail)
    return render_cart(request, order)


@pos_required
@require_POST
def add_usual(request: HttpRequest, order_id: int) -> HttpResponse:
    """One tap: the identified member's usual, with the options they usually
    take, through the same service as any other item."""
    order = order_for(request, order_id)
    usual = recommendations_for_member(member=order.member, store=order.store).usual
    if usual is None:
        return render_cart(request, order, error=_("This member has no usual that can be made here now."))
    try:
        svc.order_add_product(order=order, product=usual.product, modifier_ids=usual.option_ids)
    except Problem as exc:
        return render_cart(request, order, error=exc.detail)
    return render_cart(request, order)


@pos_required
@require_POST
def line_quantity(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_id, order__store=till_store(request))
    try:
        quantity = int(request.POST.get("quantity", ""))
        svc.order_line_set_quantity(line=line, quantity=quantity)
    except ValueError:
        return render_cart(request, line.order, error=_("Enter a whole number."))
    except Problem as exc:
        return render_cart(request, line.order, error=exc.detail)
    return render_cart(request, line.order)


@pos_required
@require_POST
def line_modifiers(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(
        # The store names itself in a sold-out refusal.
        OrderLine.objects.select_related("order__store", "product"),
        pk=line_id,
        order__store=till_store(request),
    )
    toggle = request.POST.get("toggle", "")
    if toggle.isdigit():
        ids = _modifiers_after_tap(line, int(toggle))
    else:
        ids = [int(v) for v in request.POST.getlist("modifier") if v.isdigit()]
    try:
        svc.order_line_set_modifiers(line=line, modifier_ids=ids)
    except Problem as exc:
        return render_cart(request, line.order, error=exc.detail)
    return render_cart(request, line.order)


def _modifiers_after_tap(line: OrderLine, option_id: int) -> list[int]:
    """A tap on an option button makes it its group's choice. Tapped again, an
    option of a group without a default (extras) comes off; a group with a
    default (size, milk) always keeps one choice."""
    options = {m.pk: m for m in line.product.modifiers.all()}
    chosen = [m.pk for m in line.modifiers.all()]
    tapped = options.get(option_id)
    if tapped is None:
        return chosen
    kept = [pk for pk in chosen if pk in options and options[pk].group != tapped.group]
    has_default = any(m.is_default for m in options.values() if m.group == tapped.group)
    if tapped.pk in chosen and not has_default:
        return kept
    return [*kept, tapped.pk]


@pos_required
@require_POST
def line_note(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_id, order__store=till_store(request))
    if line.order.status != Order.Status.OPEN:
        return render_cart(request, line.order, error=_("This order is closed."))
    line.note = typed(request, "note", limit=120)
    line.save(update_fields=["note"])
    return render_cart(request, line.order)


@pos_required
@require_POST
def scan(request: HttpRequest, order_id: int) -> HttpResponse:
    """One field for everything the scanner reads: a live payment code proves
    the member (points and coupons) and is kept to pay; a card number
    identifies them for earning only; anything else is a coupon."""
    order = order_for(request, order_id)
    raw = "".join(typed(request, "code", limit=400).split())
    text = raw.upper()
    try:
        if text:
            guessing_check(user=request.user)  # this login guessed too often: the scan field waits
        if looks_like_offline_code(raw):  # signed, so no guessing to count; base64url: case matters
            order_pay_by_offline_code(order=order, text=raw, actor=request.user)
            order.refresh_from_db()
            if order.status == Order.Status.PAID:
                request.session.pop(SESSION_ORDER, None)
            return render_cart(request, order, notice=_("Paid with the member's offline code."))
        if looks_like_payment_code(text):
            try:
                svc.order_attach_member_by_code(order=order, code_hash=hash_payment_code(text))
            except PaymentCodeInvalid:
                guessing_failure_record(user=request.user, what="unknown payment code at the till")
                raise
            return render_cart(request, order, notice=_("Member found. Payment code ready."))
        if is_valid_card_number(text):
            member = member_by_card_number(card_number=text)
            if member is None:
                guessing_failure_record(user=request.user, what="unknown card number at the till")
                return render_cart(request, order, error=_("No member with that card number."))
            svc.order_attach_member(order=order, member=member)
            return render_cart(
                request,
                order,
                notice=_("Member found: this order earns points. To use points or coupons, scan their payment code."),
            )
        if text:
            applied = svc.order_apply_coupon(order=order, code=text)
            return render_cart(request, order, notice=_("Coupon applied: %(name)s") % {"name": applied.description})
    except Problem as exc:
        return render_cart(request, order, error=_say_scan(exc))
    return render_cart(request, order, error=_("Nothing scanned."))


def _say_scan(exc: Problem) -> str:
    if exc.code == "payment_code_invalid":
        return _("Unknown payment code. Ask the member to refresh their code.")
    return _say(exc)


@pos_required
@require_POST
def remove_coupon(request: HttpRequest, order_id: int, applied_id: int) -> HttpResponse:
    """The × beside a coupon: take it off the open order and free it."""
    order = order_for(request, order_id)
    try:
        svc.order_remove_coupon(order=order, applied_id=applied_id)
    except Problem as exc:
        return render_cart(request, order, error=exc.detail)
    return render_cart(request, order, notice=_("Coupon taken off this order."))


@pos_required
@require_POST
def pay(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    kind = request.POST.get("kind", "")
    key = typed(request, "key", limit=64)
    if not key:
        return render_cart(request, order, error=_("Reload the till: this button has expired."))
    try:
        cash = parse_money(request.POST["cash_received"]) if request.POST.get("cash_received") else None
        amount = parse_money(request.POST["amount"]) if request.POST.get("amount") else None
    except ValueError:
        return render_cart(request, order, error=_("Enter the cash as an amount, like 200."))
    if (cash is not None and cash <= 0) or (amount is not None and amount <= 0):
        return render_cart(request, order, error=_("Enter an amount above zero, or leave it empty for what is due."))
    rest_kind = request.POST.get("rest", "")
    try:
        if rest_kind:  # "Wallet NT$950 + NT$185 by card": the part the button showed, then the rest
            split = order_add_wallet_and_rest(
                order=order,
                wallet_amount=parse_money(request.POST.get("wallet_part") or "0"),
                rest_kind=rest_kind,
                idempotency_key=key[:58],
                actor=request.user,
                cash_received=cash,
            )
            last = split.rest or split.wallet
        else:
            last = svc.order_add_tender(
                order=order, kind=kind, idempotency_key=key, actor=request.user, amount=amount, cash_received=cash
            )
    except ValueError:
        return render_cart(request, order, error=_("Reload the till: this button has expired."))
    except Problem as exc:
        return render_cart(request, order, error=_say(exc))
    # A new single tender comes back with `order` refreshed already, and the
    # wallet's balance after its charge; a replay or a split (two tenders) not.
    known_balance, paid_cart = last.wallet_balance, last.paid_cart
    if rest_kind or last.replayed:
        order.refresh_from_db()
        known_balance, paid_cart = None, None
    # A paid order's id stays in the session until "Next order" (new_order)
    # clears it: current_order resumes only an open order, so it is never
    # resumed, and the payment's request writes no session (a transaction).
    notice = ""
    if last.tender.kind == Tender.Kind.CASH and last.tender.change_given:
        notice = _("Give change: %(change)s") % {"change": format_money(last.tender.change_given)}
    return render_cart(request, order, notice=notice, known_wallet_balance=known_balance, paid_cart=paid_cart)


def _say(exc: Problem) -> str:
    """What the barista can tell the member, per refusal."""
    hints = {
        "insufficient_funds": _("Not enough in the wallet. Suggest a top-up, or pay the rest by cash or card."),
        "payment_code_expired": _("The code expired. Ask the member to show the new code and scan again."),
        "payment_code_used": _("That code was already used. Ask for the new code on their phone."),
        "payment_code_invalid": _("Unknown code. Ask the member to refresh the code and scan again."),
        "account_frozen": _("This wallet is frozen. The member can unfreeze it in the app, or pay another way."),
        "limit_exceeded": _("The member's spending limit is reached. Please pay another way."),
        "wallet_payments_paused": _("Wallet payments are paused by the cafe for now. Take cash or card instead."),
    }
    return f"{hints.get(exc.code, exc.detail)}"


@pos_required
def status(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    svc.order_refresh_pending(order=order)
    order.refresh_from_db()
    if order.status == Order.Status.PAID and request.session.get(SESSION_ORDER) == order.pk:
        request.session.pop(SESSION_ORDER, None)
    return render_cart(request, order)


@pos_required
def receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    return render(request, "pos/receipt.html", {**cart_context(order), "store": order.store})


@pos_required
def orders(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    recent = Order.objects.filter(store=store).exclude(status=Order.Status.OPEN).select_related("member")[:30]
    return render(request, "pos/orders.html", {"store": store, "orders": recent})


def _named_in_any_language(q: str) -> Q:
    """Products whose name or category's name, in any of the programme's
    languages, contains `q`: "latte" and "拿鐵" both find the latte."""
    found = Q()
    for code, _name in settings.LANGUAGES:
        found |= Q(**{f"{build_localized_fieldname('name', code)}__icontains": q})
        found |= Q(**{f"category__{build_localized_fieldname('name', code)}__icontains": q})
    return found
