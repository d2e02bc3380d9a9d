"""Sold out at this store, from the till: every product and option with a
toggle. The portal, the API and the till's own menu read the same rows, so a
toggle counts at once (orders are checked against it when placed)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from cafe_loyalty.core.problems import Problem
from payments.models import ModifierOption, Product, Store
from payments.permissions import pos_required
from payments.selectors.ahead import ahead_menu
from payments.services.ahead import modifier_sold_out_set, product_sold_out_set
from payments.views.till_common import till_store


@pos_required
def sold_out(request: HttpRequest) -> HttpResponse:
    try:
        store = till_store(request)
    except Problem as exc:
        return render(request, "pos/message.html", {"message": exc.detail})
    return render(request, "pos/ahead_menu.html", _context(store))


@pos_required
@require_POST
def product_toggle(request: HttpRequest, product_id: int) -> HttpResponse:
    store = till_store(request)
    product = get_object_or_404(Product, pk=product_id, is_active=True)
    product_sold_out_set(product=product, store=store, sold_out=request.POST.get("sold_out") == "1")
    return render(request, "pos/ahead_menu.html#lists", _context(store))


@pos_required
@require_POST
def option_toggle(request: HttpRequest, option_id: int) -> HttpResponse:
    store = till_store(request)
    option = get_object_or_404(ModifierOption, pk=option_id)
    modifier_sold_out_set(option=option, store=store, sold_out=request.POST.get("sold_out") == "1")
    return render(request, "pos/ahead_menu.html#lists", _context(store))


def _context(store: Store) -> dict[str, Any]:
    """The menu by category and the options by group, each marked sold out
    or not at this store."""
    menu = ahead_menu(store=store)
    groups: dict[str, list[ModifierOption]] = {}
    for option in ModifierOption.objects.order_by("group", "position", "name"):
        option.sold_out = option.pk in menu.sold_out_modifiers  # type: ignore[attr-defined]
        groups.setdefault(option.group, []).append(option)
    for category in menu.categories:
        for product in category.ahead_products:  # type: ignore[attr-defined]
            product.sold_out = product.pk in menu.sold_out_products
    return {"store": store, "categories": menu.categories, "option_groups": groups}
