"""Reads of the menu."""

from __future__ import annotations

from payments.models import Product


def menu_highest_unit_price(*, category_slug: str = "", sku: str = "") -> int:
    """The most one item can cost at the till among the active products of
    this category or this product (empty: any): its price plus the dearest
    option of each of its modifier groups (a line takes one per group). What a
    free item coupon can be worth at most."""
    products = Product.objects.filter(is_active=True).prefetch_related("modifiers")
    if category_slug:
        products = products.filter(category__slug=category_slug)
    if sku:
        products = products.filter(sku=sku)
    highest = 0
    for product in products:
        dearest: dict[str, int] = {}
        for option in product.modifiers.all():
            dearest[option.group] = max(dearest.get(option.group, 0), option.price)
        highest = max(highest, product.price + sum(dearest.values()))
    return highest
