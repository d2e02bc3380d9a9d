"""Order ahead in the portal, after paying: the order's page (its status
follows the baristas live), cancelling before they start, the member's
orders ahead and "order again"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.problems import Problem
from members.models import Member
from members.services import member_get_or_create_for_user
from payments.models import Order, Payment, Tender
from payments.selectors.ahead import ahead_menu, member_ahead_order, member_ahead_orders, store_for_ordering
from payments.services.ahead import ahead_order_cancel, store_zone
from payments.views.ahead_session import cart_add, menu_products

# The steps shown on the order page, in order.
STEPS = [
    (Order.PrepStatus.RECEIVED, Order.PrepStatus.RECEIVED.label),
    (Order.PrepStatus.PREPARING, Order.PrepStatus.PREPARING.label),
    (Order.PrepStatus.READY, Order.PrepStatus.READY.label),
    (Order.PrepStatus.COLLECTED, Order.PrepStatus.COLLECTED.label),
]
FINAL = (Order.PrepStatus.COLLECTED, Order.PrepStatus.CANCELLED)


def _members_order(request: HttpRequest, order_id: int) -> tuple[Order, Member]:
    member = member_get_or_create_for_user(user=request.user)
    order = member_ahead_order(member_id=member.pk, order_id=order_id)
    if order is None:
        raise Http404
    return order, member


def _waiting_payment(order: Order) -> Payment | None:
    """The wallet payment waiting for the member's approval, if any."""
    for tender in order.tenders.all():
        if tender.status == Tender.Status.PENDING and tender.payment is not None:
            if tender.payment.status == Payment.Status.REQUIRES_CONFIRMATION:
                return tender.payment
    return None


def order_context(order: Order) -> dict[str, Any]:
    order_of_steps = [str(step) for step, _label in STEPS]
    reached = order_of_steps.index(order.prep_status) if order.prep_status in order_of_steps else -1
    return {
        "order": order,
        "zone": store_zone(order.store),
        "steps": [(step, label, index <= reached) for index, (step, label) in enumerate(STEPS)],
        "final": order.prep_status in FINAL,
        # The service decides; the button shows while it would agree.
        "cancellable": order.prep_status == Order.PrepStatus.RECEIVED
        and order.status in (Order.Status.PAID, Order.Status.OPEN),
        "waiting": _waiting_payment(order),
        "refunded": sum(refund.amount for refund in order.refunds.all()),
    }


@login_required
def order(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order: its status (received → preparing → ready → collected, or
    cancelled), polled every few seconds until it is final, the estimated
    ready time, the items and what was paid."""
    found, _member = _members_order(request, order_id)
    return render(request, "payments/ahead_order.html", order_context(found))


@login_required
def status(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order page's live part (polled by htmx until the order is final)."""
    found, _member = _members_order(request, order_id)
    return render(request, "payments/ahead_order.html#live", order_context(found))


@login_required
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    """Ask first ("cancel this order?"), then cancel: refunded in full at once."""
    found, member = _members_order(request, order_id)
    if request.method != "POST":
        return render(request, "payments/ahead_cancel.html", order_context(found))
    try:
        done = ahead_order_cancel(order=found, member=member)
    except Problem as exc:
        messages.error(request, exc.detail)
    else:
        if done.refund is not None:
            messages.success(
                request,
                _("Order cancelled. %(amount)s is back in your wallet.") % {"amount": format_money(done.refund.amount)},
            )
        else:
            messages.success(request, _("Order cancelled. Nothing was charged."))
    return redirect("wallet:ahead_order", order_id=found.pk)


@login_required
def history(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    orders = member_ahead_orders(member_id=member.pk)
    return render(request, "payments/ahead_orders.html", {"orders": orders, "final": FINAL})


@login_required
@require_POST
def again(request: HttpRequest, order_id: int) -> HttpResponse:
    """Put the order's items, with their options and notes, in the store's
    cart again, leaving out (and saying) what is sold out or off the menu."""
    found, _member = _members_order(request, order_id)
    store = store_for_ordering(slug=found.store.slug)
    if store is None or not store.ahead_enabled:
        messages.error(request, _("%(store)s no longer takes orders ahead.") % {"store": found.store.name})
        return redirect("wallet:ahead_orders")
    menu = ahead_menu(store=store)
    products = menu_products(menu)
    added, skipped = [], []
    for line in found.lines.all():
        product = products.get(line.product_id)
        option_ids = [option.pk for option in line.modifiers.all()]
        orderable = (
            product is not None
            and product.pk not in menu.sold_out_products
            and set(option_ids) <= {option.pk for option in product.modifiers.all()}
            and not set(option_ids) & menu.sold_out_modifiers
        )
        if orderable and cart_add(
            request.session,
            store.slug,
            product_id=line.product_id,
            modifier_ids=option_ids,
            quantity=line.quantity,
            note=line.note,
        ):
            added.append(line.product.name)
        else:
            skipped.append(line.product.name)
    if added:
        messages.success(request, _("In your cart again: %(items)s.") % {"items": ", ".join(added)})
    if skipped:
        messages.warning(
            request,
            _("Left out, sold out or no longer on the menu: %(items)s.") % {"items": ", ".join(skipped)},
        )
    return redirect("wallet:ahead_cart", slug=store.slug)
