"""Shifts: open, move cash, close, and the Z report."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import parse_money
from cafe_loyalty.core.problems import Problem
from payments.models import Shift
from payments.permissions import pos_required
from payments.selectors.shifts import shift_current, z_report
from payments.services.shifts import cash_move, shift_close, shift_open
from payments.views.till_common import (
    till_store,
    typed,
)


def _drawer_amount(text: str, *, signed: bool) -> int:
    """The amount typed; a cash movement alone has a sign (-500: cash out,
    500 or +500: cash in), read here, so parse_money sees only the digits."""
    text = text.strip()
    if signed and text[:1] in ("-", "−"):  # a hyphen, or the minus sign some keyboards type
        return -parse_money(text[1:])
    if signed and text[:1] == "+":
        return parse_money(text[1:])
    return parse_money(text)


@pos_required
def shift(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    current = shift_current(store=store)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            amount = _drawer_amount(request.POST.get("amount") or "0", signed=action == "cash")
            if action == "open":
                current = shift_open(store=store, user=request.user, opening_float=amount)
            elif current is None:
                error = _("Open a shift first.")
            elif action == "cash":
                cash_move(shift=current, amount=amount, reason=typed(request, "reason"), user=request.user)
            elif action == "close":
                shift_close(shift=current, counted_cash=amount, user=request.user)
                return redirect("pos:z_report", shift_id=current.pk)
        except ValueError:
            if action == "cash":
                error = _("Enter an amount like 1000, or -500 for cash out.")
            else:
                error = _("Enter an amount like 1000.")
        except Problem as exc:
            error = exc.detail
    report = z_report(shift=current) if current else None
    context = {
        "store": store,
        "shift": current,
        "report": report,
        "error": error,
        "can_manage": request.user.has_perm("payments.manage_shift"),
    }
    return render(request, "pos/shift.html", context)


@pos_required
def z_report_view(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift_obj = get_object_or_404(
        Shift.objects.select_related("store", "opened_by", "closed_by"), pk=shift_id, store=till_store(request)
    )
    return render(request, "pos/z_report.html", {"store": shift_obj.store, "report": z_report(shift=shift_obj)})
