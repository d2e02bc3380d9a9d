"""Reads of the menu."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from payments.models import Category, ModifierOption, Product, Store


def options_marked_sold_out(*, store_id: int) -> QuerySet[ModifierOption]:
    """Modifier options, each with `sold_out_here`: sold out at this store
    (ModifierOption.unavailable_at, set from the till's Sold out page). The
    one read of it that the tills' buttons, the offline menu and the cart
    service share; as a prefetch it costs no query of its own."""
    sold_out = ModifierOption.unavailable_at.through.objects.filter(modifieroption_id=OuterRef("pk"), store_id=store_id)
    return ModifierOption.objects.annotate(sold_out_here=Exists(sold_out))


def options_as_added(options: Iterable[ModifierOption]) -> list[ModifierOption]:
    """What a tap on a product adds: each group's default option, or, when the
    default is sold out here, the group's first option that is not (as the
    portal's item sheet checks first); a group without a default (extras)
    adds nothing. When a group's options are all sold out its default stays,
    for the cart service to refuse. Options read through
    options_marked_sold_out; unmarked ones count as available."""
    by_group: dict[str, list[ModifierOption]] = {}
    for option in options:
        by_group.setdefault(option.group, []).append(option)
    added = []
    for group in by_group.values():
        default = next((option for option in group if option.is_default), None)
        if default is None:
            continue
        available = [option for option in group if not getattr(option, "sold_out_here", False)]
        added.append(default if default in available or not available else available[0])
    return added


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
    default options (a latte comes as a Medium; see options_as_added), the
    price its tile shows. Pass products with their modifiers prefetched."""
    return product.price + sum(option.price for option in options_as_added(product.modifiers.all()))


def till_menu(*, store: Store) -> tuple[list[Category], list[Product]]:
    """The till's categories with their products available at this store, and
    the quick-key products (at most 9, keys 1–9); each product carries
    `till_price`, and its options are marked `sold_out_here`. Three queries
    whatever the menu's size."""
    options = Prefetch("modifiers", queryset=options_marked_sold_out(store_id=store.pk))
    available = Product.objects.filter(is_active=True).exclude(unavailable_at=store).prefetch_related(options)
    categories = list(Category.objects.prefetch_related(Prefetch("products", queryset=available)))
    products = [product for category in categories for product in category.products.all()]
    for product in products:
        product.till_price = product_till_price(product)  # type: ignore[attr-defined]
    quick_keys = sorted((p for p in products if p.quick_key is not None), key=lambda p: (p.quick_key or 0, p.pk))
    return categories, quick_keys[:9]
