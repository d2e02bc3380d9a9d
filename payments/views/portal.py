"""Member portal pages for the wallet: pay code, balance and history, top-up,
and confirming payments that wait for the member (limits and freeze:
portal_security)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cafe_loyalty.core.money import amount_for_input, currency
from members.models import Member
from members.services import member_get_or_create_for_user
from payments.exceptions import AccountFrozen, WalletError
from payments.forms import MonthFilterForm, TopUpForm
from payments.gateway import active_gateway
from payments.models import Order, Payment, ProgrammeSettings
from payments.qr import qr_svg
from payments.selectors.history import payment_items, portal_money_history, portal_points_history
from payments.selectors.risk import wallet_pauses_open
from payments.selectors.wallet import (
    member_portal_summary,
    pending_payments,
    top_up_offers,
)
from payments.services.codes import IssuedCode, payment_code_issue
from payments.services.orders import order_confirm_payment, order_payment_declined
from payments.services.top_ups import top_up_bonus, wallet_top_up_online

HISTORY_PAGE = 20


def _member(request: HttpRequest) -> Member:
    return member_get_or_create_for_user(user=request.user)


def _month_bounds(month: str) -> tuple[datetime | None, datetime | None]:
    if not month:
        return None, None
    year, mon = (int(part) for part in month.split("-"))
    tz = timezone.get_current_timezone()
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=tz)
    return start, end


def _recent_months(chosen: str, count: int = 12) -> list[tuple[str, date]]:
    """("2026-11", first day) for this month and the ones before it, newest
    first, for the history filter; a month chosen from further back is kept."""
    today = timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _step in range(count):
        months.append((f"{year:04d}-{month:02d}", date(year, month, 1)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    if chosen and chosen not in dict(months):
        chosen_year, chosen_month = (int(part) for part in chosen.split("-"))
        months.append((chosen, date(chosen_year, chosen_month, 1)))
    return months


HISTORY_TABS = ("money", "points")


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    """Balance, payments waiting, and the history in two tabs (money, points),
    by month, a page at a time."""
    member = _member(request)
    filter_form = MonthFilterForm(request.GET or None)
    month = filter_form.cleaned_data["month"] if filter_form.is_valid() else ""
    since, until = _month_bounds(month or "")
    tab = request.GET.get("tab") if request.GET.get("tab") in HISTORY_TABS else "money"
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 1000))
    except ValueError:
        page = 1
    read = portal_points_history if tab == "points" else portal_money_history
    items = read(member=member, offset=(page - 1) * HISTORY_PAGE, limit=HISTORY_PAGE + 1, since=since, until=until)
    context = {
        "member": member,
        "summary": member_portal_summary(member=member),
        "pending": pending_payments(member=member),
        "items": items[:HISTORY_PAGE],
        "has_next": len(items) > HISTORY_PAGE,
        "page": page,
        "tab": tab,
        "month": month or "",
        "months": _recent_months(month or ""),
        "filter_form": filter_form,
    }
    if getattr(request, "htmx", False) and request.GET.get("part") == "balance":
        return render(request, "payments/portal_wallet.html#balance", context)
    return render(request, "payments/portal_wallet.html", context)


@login_required
def pay(request: HttpRequest) -> HttpResponse:
    """The pay code, payments waiting for the member, and a notice while the
    cafe has paused wallet payments (everywhere, or at some stores)."""
    member = _member(request)
    pauses = wallet_pauses_open()
    context = {
        "member": member,
        "summary": member_portal_summary(member=member),
        "pending": pending_payments(member=member),
        "paused_everywhere": any(pause.store is None for pause in pauses),
        "paused_stores": [pause.store.name for pause in pauses if pause.store is not None],
        "currency": currency(),  # the offline panel formats amounts itself, with no network
    }
    return render(request, "payments/portal_pay.html", context)


@login_required
@require_POST
def pay_code(request: HttpRequest) -> HttpResponse:
    """A fresh one-time code as QR and digits (the pay page refreshes it before expiry)."""
    member = _member(request)
    try:
        issued: IssuedCode | None = payment_code_issue(member=member)
    except AccountFrozen:
        issued = None  # the partial tells the member why there is no code
    summary = member_portal_summary(member=member)
    context = {
        "member": member,
        "summary": summary,
        "issued": issued,
        "qr": qr_svg(issued.code) if issued else "",
        "digits": " ".join(issued.code[i : i + 6] for i in range(0, 18, 6)) if issued else "",
        "ttl": int((issued.expires_at - timezone.now()).total_seconds()) if issued else 0,
    }
    return render(request, "payments/portal_pay.html#code", context)


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    """Polled by the pay and wallet pages: payments waiting for this member."""
    member = _member(request)
    recent = (
        Payment.objects.filter(
            member=member, status=Payment.Status.SUCCEEDED, completed_at__gte=timezone.now() - timedelta(seconds=90)
        )
        .select_related("store", "tender__order")
        .order_by("-completed_at")
        .first()
    )
    context = {
        "pending": pending_payments(member=member),
        "recent": recent,
        "summary": member_portal_summary(member=member),
    }
    return render(request, "payments/portal_pay.html#pending", context)


@login_required
def confirm(request: HttpRequest, payment_id: int) -> HttpResponse:
    member = _member(request)
    payment = get_object_or_404(Payment.objects.select_related("store"), pk=payment_id, member=member)
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        try:
            order_confirm_payment(payment_id=payment.pk, member=member, approve=approve)
        except WalletError as exc:
            order_payment_declined(payment_id=payment.pk, code=exc.code)
            messages.error(request, exc.detail)
        else:
            payment.refresh_from_db()
            if payment.status == Payment.Status.SUCCEEDED:
                messages.success(request, _("Payment approved."))
            elif payment.status == Payment.Status.EXPIRED:
                messages.error(request, _("Too late: the payment expired. Ask the barista to try again."))
            else:
                messages.info(request, _("Payment declined."))
        ahead = Order.objects.filter(tenders__payment=payment, channel=Order.Channel.AHEAD).only("pk").first()
        if ahead is not None:
            # An order ahead waited for this approval: the member follows it next.
            return redirect("wallet:ahead_order", order_id=ahead.pk)
        return redirect("wallet:wallet")
    left = (payment.confirm_by - timezone.now()).total_seconds() if payment.confirm_by else 0
    context = {
        "member": member,
        "payment": payment,
        "items": payment_items(payment=payment),
        "seconds_left": max(int(left), 0),
    }
    return render(request, "payments/confirm.html", context)


@login_required
def top_up(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    programme = ProgrammeSettings.current()
    gateway = active_gateway()
    offers = top_up_offers(at=timezone.now())
    if gateway is None:
        return render(
            request,
            "payments/top_up.html",
            {"member": member, "gateway": None, "offers": offers, "summary": member_portal_summary(member=member)},
        )
    form = _top_up_form(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            done = wallet_top_up_online(
                member=member,
                amount=form.cleaned_data["amount"],
                form_key=form.cleaned_data["token"],
                user=request.user,
            )
        except WalletError as exc:
            # The error goes under the amount, in a form with a fresh key (the
            # service released the refused one, so a resend works either way).
            form = _top_up_form({"amount": request.POST["amount"], "token": uuid.uuid4().hex}, programme=programme)
            form.is_valid()
            form.add_error("amount", exc.detail)
        else:
            if done is None:
                messages.info(request, _("That top-up was already processed."))
            elif done.top_up.bonus:
                messages.success(request, _("Topped up, with a bonus! Your balance is updated."))
            else:
                messages.success(request, _("Topped up. Your balance is updated."))
            return redirect("wallet:wallet")
    presets = [
        (amount, amount_for_input(amount), top_up_bonus(offers, amount))
        for amount in (30_000, 50_000, 100_000, 200_000)
    ]
    return render(
        request,
        "payments/top_up.html",
        {
            "member": member,
            "form": form,
            "gateway": gateway,
            "presets": presets,
            "offers": offers,
            "summary": member_portal_summary(member=member),
        },
    )


def _top_up_form(data: Any, *, programme: ProgrammeSettings) -> TopUpForm:
    return TopUpForm(
        data,
        initial={"token": uuid.uuid4().hex},
        min_amount=programme.min_top_up,
        max_amount=programme.max_top_up,
    )


@login_required
def receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    """The member's copy of a till receipt (linked from the inbox)."""
    member = _member(request)
    order = get_object_or_404(Order.objects.select_related("store"), pk=order_id, member=member)
    return render(
        request,
        "payments/receipt.html",
        {
            "order": order,
            "lines": order.lines.select_related("product"),
            "coupons": order.coupons.all(),
            "tenders": order.tenders.all(),
            "member": member,
        },
    )
