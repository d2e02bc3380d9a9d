"""Refunds at the till, whole orders or some items, in two steps: tick what to
refund, then a confirmation that lists it and how much goes back per tender
(the cash to hand back first); only "Confirm refund" refunds. Nothing ticked
refunds nothing. Afterwards the barista is back at the till."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.problems import Problem
from payments.models import Order, OrderLine, Tender
from payments.permissions import pos_required
from payments.services import orders as svc
from payments.services.orders.refunds import order_refund_plan
from payments.views.till_approval import approver_from_form
from payments.views.till_common import order_for, typed


@pos_required
def refund(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    lines = list(order.lines.select_related("product"))
    context: dict[str, Any] = {"order": order, "store": order.store, "lines": lines, "reason": typed(request, "reason")}
    if request.method != "POST":
        return render(request, "pos/refund.html", context)
    whole = request.POST.get("whole") == "1"
    quantities = None if whole else _refund_quantities(request)
    if quantities == {}:
        context["error"] = _("Tick what to refund: nothing was refunded.")
        return render(request, "pos/refund.html", context)
    try:
        plan = order_refund_plan(order=order, quantities=quantities, actor=request.user)
    except Problem as exc:
        return render(request, "pos/refund.html", {**context, "error": exc.detail})
    context.update(plan=plan, whole=whole, chosen=_chosen(lines, quantities), back=_back_rows(plan.back_by_kind))
    if request.POST.get("confirm") != "1":
        return render(request, "pos/refund_confirm.html", context)
    approver, error = approver_from_form(request)
    if not error:
        try:
            done = svc.order_refund(
                order=order, actor=request.user, approved_by=approver, reason=context["reason"], quantities=quantities
            )
        except Problem as exc:
            error = exc.detail
        else:
            messages.success(request, _refund_said(order, done))
            return redirect("pos:home")
    return render(request, "pos/refund_confirm.html", {**context, "error": error})


def _chosen(lines: list[OrderLine], quantities: dict[int, int] | None) -> list[tuple[OrderLine, int]]:
    """(line, how many) to refund: those ticked, or all that is left."""
    if quantities is None:
        return [(line, line.refundable_quantity) for line in lines if line.refundable_quantity]
    return [(line, quantities[line.pk]) for line in lines if line.pk in quantities]


def _back_rows(back_by_kind: dict[str, int]) -> list[tuple[str, str, int]]:
    """(kind, what the barista does, amount), cash first: it is what they hand over."""
    says = {
        Tender.Kind.CASH: _("Hand back in cash"),
        Tender.Kind.CARD: _("Back to the card"),
        Tender.Kind.WALLET: _("Back to the member's wallet"),
        Tender.Kind.POINTS: _("Back to the member's points"),
    }
    order = [Tender.Kind.CASH, Tender.Kind.CARD, Tender.Kind.WALLET, Tender.Kind.POINTS]
    return [(kind, says[kind], back_by_kind[kind]) for kind in order if back_by_kind.get(kind)]


def _refund_said(order: Order, done: svc.OrderRefundResult) -> str:
    """What the barista does now: hand back cash, or tell where it went."""
    if done.cash_back:
        return _("Order #%(order)s: refunded %(amount)s. Hand back %(cash)s cash.") % {
            "order": order.pk,
            "amount": format_money(done.refund.amount),
            "cash": format_money(done.cash_back),
        }
    return _("Order #%(order)s: refunded %(amount)s, back to the member's wallet, points or card.") % {
        "order": order.pk,
        "amount": format_money(done.refund.amount),
    }


def _refund_quantities(request: HttpRequest) -> dict[int, int]:
    """`qty-<line id>` fields (a tick box sends 1) → {line id: how many};
    empty when nothing was chosen."""
    quantities = {}
    for name in request.POST:
        value = request.POST.get(name, "")
        if name.startswith("qty-") and name[4:].isdigit() and value.strip().isdigit():
            if int(value) > 0:
                quantities[int(name[4:])] = min(int(value), 999)
    return quantities
