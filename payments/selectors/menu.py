"""Reads of the menu."""

from __future__ import annotations

from django.db.models import Prefetch

from payments.models import Category, Product, Store


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


def product_till_price(product: Product) -> int:
    """What a product costs as it is added at the till: its price with its
    default options (a latte comes as a Medium), the price its tile shows.
    Pass products with their modifiers prefetched."""
    return product.price + sum(option.price for option in product.modifiers.all() if option.is_default)


def till_menu(*, store: Store) -> tuple[list[Category], list[Product]]:
    """The till's categories with their products available at this store, and
    the quick-key products (at most 9, keys 1–9); each product carries
    `till_price`. Three queries whatever the menu's size."""
    available = Product.objects.filter(is_active=True).exclude(unavailable_at=store).prefetch_related("modifiers")
    categories = list(Category.objects.prefetch_related(Prefetch("products", queryset=available)))
    products = [product for category in categories for product in category.products.all()]
    for product in products:
        product.till_price = product_till_price(product)  # type: ignore[attr-defined]
    quick_keys = sorted((p for p in products if p.quick_key is not None), key=lambda p: (p.quick_key or 0, p.pk))
    return categories, quick_keys[:9]
