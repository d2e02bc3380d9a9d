"""Refunds at the till, whole orders or some items."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.problems import Problem
from payments.permissions import pos_required
from payments.services import orders as svc
from payments.views.till_approval import approver_from_form
from payments.views.till_common import (
    order_for,
    typed,
)


@pos_required
def refund(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    error = ""
    if request.method == "POST":
        approver, error = approver_from_form(request)
        quantities = _refund_quantities(request)
        if not error:
            try:
                done = svc.order_refund(
                    order=order,
                    actor=request.user,
                    approved_by=approver,
                    reason=typed(request, "reason"),
                    quantities=quantities,
                )
            except Problem as exc:
                error = exc.detail
            else:
                messages.success(request, _refund_said(done))
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


def _refund_said(done: svc.OrderRefundResult) -> str:
    """What the barista does now: hand back cash, or tell where it went."""
    if done.cash_back:
        return _("Refunded %(amount)s. Hand back %(cash)s cash.") % {
            "amount": format_money(done.refund.amount),
            "cash": format_money(done.cash_back),
        }
    return _("Refunded %(amount)s, back to the member's wallet, points or card.") % {
        "amount": format_money(done.refund.amount)
    }


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
