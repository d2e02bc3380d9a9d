"""Demo menu for the till (idempotent). Prices in minor units: NT$1 = 100."""

from typing import Any

from django.core.management.base import BaseCommand

from payments.models import Category, ModifierOption, Product

SIZES = [("Small", 0, False), ("Medium", 1_500, True), ("Large", 3_000, False)]
MILKS = [("Whole milk", 0, True), ("Oat milk", 1_500, False), ("Soy milk", 1_500, False)]
EXTRAS = [("Extra shot", 2_000, False)]
MENU: dict[tuple[str, str], list[tuple[str, str, int, bool, bool, int | None]]] = {
    ("Coffee", "coffee"): [
        ("Latte", "latte", 12_000, True, True, 1),
        ("Americano", "americano", 9_000, True, False, 2),
        ("Flat white", "flat-white", 13_000, True, True, 3),
        ("Cappuccino", "cappuccino", 12_000, True, True, 4),
        ("Mocha", "mocha", 14_000, True, True, None),
        ("Drip coffee", "drip", 8_000, True, False, 5),
    ],
    ("Tea", "tea"): [
        ("Oolong", "oolong", 9_000, True, False, None),
        ("Earl Grey latte", "earl-grey-latte", 12_000, True, True, None),
    ],
    ("Food", "food"): [
        ("Croissant", "croissant", 8_000, False, False, 6),
        ("Banana bread", "banana-bread", 9_000, False, False, None),
    ],
}


def load_menu_demo() -> None:
    def options(group: str, rows: list[tuple[str, int, bool]]) -> list[ModifierOption]:
        return [
            ModifierOption.objects.get_or_create(
                group=group, name=name, defaults={"price": price, "is_default": default, "position": i}
            )[0]
            for i, (name, price, default) in enumerate(rows)
        ]

    sizes, milks, extras = options("Size", SIZES), options("Milk", MILKS), options("Extras", EXTRAS)
    for position, ((cat_name, slug), products) in enumerate(MENU.items()):
        category, _ = Category.objects.get_or_create(slug=slug, defaults={"name": cat_name, "position": position})
        for name, sku, price, sized, milky, quick in products:
            product, created = Product.objects.get_or_create(
                sku=sku, defaults={"name": name, "category": category, "price": price, "quick_key": quick}
            )
            if created:
                product.modifiers.set((sizes if sized else []) + (milks if milky else []) + (extras if sized else []))


class Command(BaseCommand):
    help = "Load the demo menu (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        load_menu_demo()
        self.stdout.write("Menu ready.")
