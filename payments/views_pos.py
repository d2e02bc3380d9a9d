"""The barista till (HTMX). Each action returns the cart partial for htmx
requests, so the page never reloads; the full page otherwise."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cafe_loyalty.money import format_money, parse_money
from cafe_loyalty.problems import Problem
from members.cards import is_valid_card_number
from members.models import Member
from members.selectors import member_by_card_number
from payments.idempotency import form_claim
from payments.models import Category, IdempotencyRecord, Order, OrderLine, Product, Store, StoreStaff, Tender
from payments.permissions import pos_required
from payments.services import orders as svc
from payments.services.cash_out import wallet_cash_out
from payments.services.codes import hash_payment_code, looks_like_payment_code, member_for_live_code
from payments.services.shifts import cash_move, shift_close, shift_current, shift_open, z_report
from payments.services.wallet import top_up_offers, wallet_top_up

SESSION_ORDER = "pos_order_id"


def typed(request: HttpRequest, name: str, *, limit: int = 200, method: str = "POST") -> str:
    """A text field as the till sent it, made safe to store: control
    characters (PostgreSQL refuses NUL in text) dropped, trimmed, cut to limit."""
    raw = getattr(request, method).get(name, "")
    return "".join(ch for ch in raw if ch.isprintable()).strip()[:limit]


def till_store(request: HttpRequest) -> Store:
    role = StoreStaff.objects.filter(user_id=int(request.user.pk or 0)).select_related("store").first()
    if role is not None:
        return role.store
    store = Store.objects.filter(is_active=True).first()
    if store is None:
        raise Problem(_("No store is set up yet: a manager adds one in the admin."))
    return store


def current_order(request: HttpRequest, store: Store) -> Order:
    order_id = request.session.get(SESSION_ORDER)
    order = Order.objects.filter(pk=order_id, store=store, status=Order.Status.OPEN).first() if order_id else None
    if order is None:
        order = svc.order_open(store=store, barista=request.user)
        request.session[SESSION_ORDER] = order.pk
    return order


def _order_for(request: HttpRequest, order_id: int) -> Order:
    return get_object_or_404(
        Order.objects.select_related("store", "member__tier"), pk=order_id, store=till_store(request)
    )


def cart_context(order: Order, *, error: str = "", notice: str = "") -> dict[str, Any]:
    lines = list(
        OrderLine.objects.filter(order=order)
        .select_related("product__category")
        .prefetch_related("modifiers", Prefetch("product__modifiers"))
    )
    tenders = list(Tender.objects.filter(order=order))
    paid = sum(t.amount for t in tenders if t.status == Tender.Status.SETTLED)
    pending = [t for t in tenders if t.status == Tender.Status.PENDING]
    preview = svc.order_points_preview(order=order) if order.member_id and order.status == Order.Status.OPEN else None
    for line in lines:
        chosen = {m.pk for m in line.modifiers.all()}
        groups: dict[str, list[tuple[Any, bool]]] = {}
        for option in line.product.modifiers.all():
            groups.setdefault(option.group, []).append((option, option.pk in chosen))
        line.option_groups = groups  # type: ignore[attr-defined]
    return {
        "order": order,
        "lines": lines,
        "coupons": list(order.coupons.all()),
        "tenders": tenders,
        "paid": paid,
        "due": max(order.total - paid - sum(t.amount for t in pending), 0),
        "pending": pending,
        "points_preview": preview,
        "error": error,
        "notice": notice,
        "pay_key": uuid.uuid4().hex,
    }


def render_cart(request: HttpRequest, order: Order, **kwargs: str) -> HttpResponse:
    return render(request, "pos/till.html#cart", cart_context(order, **kwargs))


@pos_required
def home(request: HttpRequest) -> HttpResponse:
    try:
        store = till_store(request)
    except Problem as exc:
        return render(request, "pos/message.html", {"message": exc.detail})
    order = current_order(request, store)
    categories = Category.objects.prefetch_related(
        Prefetch("products", queryset=Product.objects.filter(is_active=True).exclude(unavailable_at=store))
    )
    context = {
        "store": store,
        "categories": categories,
        "quick_keys": Product.objects.filter(is_active=True, quick_key__isnull=False).order_by("quick_key")[:9],
        "shift": shift_current(store=store),
        **cart_context(order),
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
    products = Product.objects.filter(is_active=True).exclude(unavailable_at=store).select_related("category")
    if q:
        products = products.filter(Q(name__icontains=q) | Q(sku__icontains=q) | Q(category__name__icontains=q))
    return render(request, "pos/till.html#results", {"results": products[:24], "q": q, "order": order})


@pos_required
@require_POST
def new_order(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_ORDER, None)
    return redirect("pos:home")


@pos_required
@require_POST
def add(request: HttpRequest, order_id: int, product_id: int) -> HttpResponse:
    order = _order_for(request, order_id)
    product = get_object_or_404(Product, pk=product_id)
    try:
        svc.order_add_product(order=order, product=product)
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
        OrderLine.objects.select_related("order", "product"), pk=line_id, order__store=till_store(request)
    )
    ids = [int(v) for v in request.POST.getlist("modifier") if v.isdigit()]
    try:
        svc.order_line_set_modifiers(line=line, modifier_ids=ids)
    except Problem as exc:
        return render_cart(request, line.order, error=exc.detail)
    return render_cart(request, line.order)


@pos_required
@require_POST
def scan(request: HttpRequest, order_id: int) -> HttpResponse:
    """One field for everything the scanner reads: a payment code identifies the
    member and is kept to pay; a card number identifies; anything else is a coupon."""
    order = _order_for(request, order_id)
    text = "".join(typed(request, "code", limit=200).split()).upper()
    try:
        if looks_like_payment_code(text):
            from payments.models import PaymentCode

            code_hash = hash_payment_code(text)
            code = PaymentCode.objects.select_related("member").filter(code_hash=code_hash).first()
            if code is None:
                return render_cart(
                    request, order, error=_("Unknown payment code. Ask the member to refresh their code.")
                )
            svc.order_attach_member(order=order, member=code.member, scanned_code_hash=code_hash)
            return render_cart(request, order, notice=_("Member found. Payment code ready: tap Wallet to charge."))
        if is_valid_card_number(text):
            member = member_by_card_number(card_number=text)
            if member is None:
                return render_cart(request, order, error=_("No member with that card number."))
            svc.order_attach_member(order=order, member=member)
            return render_cart(request, order, notice=_("Member found."))
        if text:
            applied = svc.order_apply_coupon(order=order, code=text)
            return render_cart(request, order, notice=_("Coupon applied: %(name)s") % {"name": applied.description})
    except Problem as exc:
        return render_cart(request, order, error=exc.detail)
    return render_cart(request, order, error=_("Nothing scanned."))


@pos_required
@require_POST
def pay(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_for(request, order_id)
    kind = request.POST.get("kind", "")
    key = typed(request, "key", limit=64)
    if not key:
        return render_cart(request, order, error=_("Reload the till: this button has expired."))
    try:
        cash = parse_money(request.POST["cash_received"]) if request.POST.get("cash_received") else None
        amount = parse_money(request.POST["amount"]) if request.POST.get("amount") else None
    except ValueError:
        return render_cart(request, order, error=_("Enter the cash as an amount, like 200."))
    try:
        result = svc.order_add_tender(
            order=order, kind=kind, idempotency_key=key, actor=request.user, amount=amount, cash_received=cash
        )
    except Problem as exc:
        return render_cart(request, order, error=_say(exc))
    order.refresh_from_db()
    if order.status == Order.Status.PAID:
        request.session.pop(SESSION_ORDER, None)
    notice = ""
    if result.tender.kind == Tender.Kind.CASH and result.tender.change_given:
        from cafe_loyalty.money import format_money

        notice = _("Give change: %(change)s") % {"change": format_money(result.tender.change_given)}
    return render_cart(request, order, notice=notice)


def _say(exc: Problem) -> str:
    """What the barista can tell the member, per refusal."""
    hints = {
        "insufficient_funds": _("Not enough in the wallet. Suggest a top-up, or pay the rest by cash or card."),
        "payment_code_expired": _("The code expired. Ask the member to show the new code and scan again."),
        "payment_code_used": _("That code was already used. Ask for the new code on their phone."),
        "payment_code_invalid": _("Unknown code. Ask the member to refresh the code and scan again."),
        "account_frozen": _("This wallet is frozen. The member can unfreeze it in the app, or pay another way."),
        "limit_exceeded": _("The member's spending limit is reached. Please pay another way."),
    }
    return f"{hints.get(exc.code, exc.detail)}"


@pos_required
def status(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_for(request, order_id)
    svc.order_refresh_pending(order=order)
    order.refresh_from_db()
    if order.status == Order.Status.PAID and request.session.get(SESSION_ORDER) == order.pk:
        request.session.pop(SESSION_ORDER, None)
    return render_cart(request, order)


@pos_required
def receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_for(request, order_id)
    return render(request, "pos/receipt.html", {**cart_context(order), "store": order.store})


@pos_required
def refund(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_for(request, order_id)
    error = ""
    if request.method == "POST":
        approver, error = _approver(request)
        quantities = _refund_quantities(request)
        if not error:
            try:
                svc.order_refund(
                    order=order,
                    actor=request.user,
                    approved_by=approver,
                    reason=typed(request, "reason"),
                    quantities=quantities,
                )
            except Problem as exc:
                error = exc.detail
            else:
                return redirect("pos:receipt", order_id=order.pk)
    return render(
        request,
        "pos/refund.html",
        {
            "order": order,
            "store": order.store,
            "error": error,
            "lines": order.lines.select_related("product"),
        },
    )


def _refund_quantities(request: HttpRequest) -> dict[int, int] | None:
    """`qty-<line id>` fields (a tick box sends 1) → {line id: how many};
    None (the whole order) when nothing was chosen."""
    quantities = {}
    for name in request.POST:
        value = request.POST.get(name, "")
        if name.startswith("qty-") and name[4:].isdigit() and value.strip().isdigit():
            if int(value) > 0:
                quantities[int(name[4:])] = min(int(value), 999)
    return quantities or None


@pos_required
def orders(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    recent = Order.objects.filter(store=store).exclude(status=Order.Status.OPEN).select_related("member")[:30]
    return render(request, "pos/orders.html", {"store": store, "orders": recent})


# Wrong approver passwords a till login may try before it must wait: the
# approval form must not become a way to guess a manager's password.
APPROVER_TRIES, APPROVER_WINDOW_SECONDS = 5, 15 * 60


def _approver(request: HttpRequest) -> tuple[Any, str]:
    """(approver, error): the shift manager who typed their email and password
    into the form, or the signed-in user if they may approve themselves."""
    if approver_email := typed(request, "approver_email", limit=254):
        failures_key = f"pos:approver-failures:{request.user.pk}"
        if cache.get(failures_key, 0) >= APPROVER_TRIES:
            return None, _("Too many wrong approver logins. Wait 15 minutes, or ask a manager.")
        approver = authenticate(request, username=approver_email, password=request.POST.get("approver_password", ""))
        if approver is None:
            if not cache.add(failures_key, 1, APPROVER_WINDOW_SECONDS):
                try:
                    cache.incr(failures_key)
                except ValueError:  # expired in between
                    cache.set(failures_key, 1, APPROVER_WINDOW_SECONDS)
            return None, _("The approver's email or password is wrong.")
        return approver, ""
    return (request.user if request.user.has_perm("payments.approve_refund") else None), ""


def _scanned_member(request: HttpRequest) -> Member | None:
    """The member whose card number, or the pay code on their phone, was scanned."""
    card = "".join(typed(request, "card", limit=40).split())
    return member_by_card_number(card_number=card) if is_valid_card_number(card) else member_for_live_code(card)


def _claim_form(request: HttpRequest, purpose: str) -> IdempotencyRecord | None:
    """The form's one-time key, claimed (see form_claim); None when already used."""
    key = typed(request, "key", limit=64) or uuid.uuid4().hex
    return form_claim(user=request.user, key=f"{purpose}:{key}", source="pos")


def _typed_amount(request: HttpRequest) -> int | None:
    """The amount field in minor units; None when empty, 0 when not money."""
    text = typed(request, "amount", limit=40)
    if not text:
        return None
    try:
        return parse_money(text)
    except ValueError:
        return 0


@pos_required
def top_up(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    error = notice = ""
    if request.method == "POST":
        member = _scanned_member(request)
        amount = _typed_amount(request) or 0
        tender = request.POST.get("tender", "cash")
        if member is None:
            error = _("No member with that card number or pay code.")
        elif amount <= 0 or tender not in ("cash", "card"):
            error = _("Enter an amount and choose cash or card.")
        elif (record := _claim_form(request, "topup")) is None:
            notice = _("Already done.")
        else:
            try:
                result = wallet_top_up(
                    member=member, amount=amount, tender=tender, store=store, actor=request.user,
                    idempotency_record=record,
                )  # fmt: skip
            except Problem as exc:
                record.delete()
                error = exc.detail
            else:
                notice = _("Topped up %(amount)s. Balance %(balance)s.") % {
                    "amount": format_money(amount),
                    "balance": format_money(result.wallet_balance),
                }
    context = {
        "store": store,
        "error": error,
        "notice": notice,
        "key": uuid.uuid4().hex,
        "offers": top_up_offers(at=timezone.now()),
    }
    return render(request, "pos/top_up.html", context)


@pos_required
def cash_out(request: HttpRequest) -> HttpResponse:
    """Pay a wallet back in cash (a member leaving, or asking for their money):
    a shift manager approves; top-up bonuses stay behind."""
    store = till_store(request)
    error = notice = ""
    if request.method == "POST":
        member = _scanned_member(request)
        amount = _typed_amount(request)
        approver, approver_error = _approver(request)
        if member is None:
            error = _("No member with that card number or pay code.")
        elif amount == 0:
            error = _("Enter the amount as money, like 200, or leave it empty for all.")
        elif approver_error:
            error = approver_error
        elif (record := _claim_form(request, "cashout")) is None:
            notice = _("Already done.")
        else:
            try:
                done, balance = wallet_cash_out(
                    member=member, store=store, actor=request.user, approved_by=approver,
                    reason=typed(request, "reason"), amount=amount, idempotency_record=record,
                )  # fmt: skip
            except Problem as exc:
                record.delete()
                error = exc.detail
            else:
                notice = _("Pay %(amount)s in cash from the drawer. Wallet balance now %(balance)s.") % {
                    "amount": format_money(done.amount),
                    "balance": format_money(balance),
                }
    context = {
        "store": store,
        "error": error,
        "notice": notice,
        "key": uuid.uuid4().hex,
        "can_approve": request.user.has_perm("payments.approve_refund"),
    }
    return render(request, "pos/cash_out.html", context)


@pos_required
def shift(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    current = shift_current(store=store)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            amount = parse_money(request.POST.get("amount") or "0")
            if action == "open":
                current = shift_open(store=store, user=request.user, opening_float=amount)
            elif current is None:
                error = _("Open a shift first.")
            elif action == "cash":
                cash_move(shift=current, amount=amount, reason=typed(request, "reason"), user=request.user)
            elif action == "close":
                if not request.user.has_perm("payments.manage_shift"):
                    error = _("A shift manager closes the shift.")
                else:
                    shift_close(shift=current, counted_cash=amount, user=request.user)
                    return redirect("pos:z_report", shift_id=current.pk)
        except ValueError:
            error = _("Enter an amount like 1000.")
        except Problem as exc:
            error = exc.detail
    report = z_report(shift=current) if current else None
    return render(request, "pos/shift.html", {"store": store, "shift": current, "report": report, "error": error})


@pos_required
def z_report_view(request: HttpRequest, shift_id: int) -> HttpResponse:
    from payments.models import Shift

    shift_obj = get_object_or_404(Shift, pk=shift_id, store=till_store(request))
    return render(request, "pos/z_report.html", {"store": shift_obj.store, "report": z_report(shift=shift_obj)})


@pos_required
@require_POST
def line_note(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_id, order__store=till_store(request))
    if line.order.status != Order.Status.OPEN:
        return render_cart(request, line.order, error=_("This order is closed."))
    line.note = typed(request, "note", limit=120)
    line.save(update_fields=["note"])
    return render_cart(request, line.order)
