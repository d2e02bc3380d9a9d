"""Demo menu for the till (idempotent), in English, 繁體中文 and 简体中文.
Prices in minor units: NT$1 = 100."""

from typing import Any

from django.core.management.base import BaseCommand

from payments.models import Category, ModifierOption, Product

# A name in each language: (English, 繁體中文, 简体中文).
Names = tuple[str, str, str]

SIZE: Names = ("Size", "容量", "杯型")
MILK: Names = ("Milk", "奶類", "奶类")
EXTRAS: Names = ("Extras", "加料", "加料")
SIZES: list[tuple[Names, int, bool]] = [
    (("Small", "小杯", "小杯"), 0, False),
    (("Medium", "中杯", "中杯"), 1_500, True),
    (("Large", "大杯", "大杯"), 3_000, False),
]
MILKS: list[tuple[Names, int, bool]] = [
    (("Whole milk", "全脂鮮奶", "全脂牛奶"), 0, True),
    (("Oat milk", "燕麥奶", "燕麦奶"), 1_500, False),
    (("Soy milk", "豆漿", "豆奶"), 1_500, False),
]
EXTRA_SHOT: list[tuple[Names, int, bool]] = [(("Extra shot", "加一份濃縮", "加一份浓缩"), 2_000, False)]
MENU: dict[tuple[Names, str], list[tuple[Names, str, int, bool, bool, int | None]]] = {
    (("Coffee", "咖啡", "咖啡"), "coffee"): [
        (("Latte", "拿鐵", "拿铁"), "latte", 12_000, True, True, 1),
        (("Americano", "美式咖啡", "美式咖啡"), "americano", 9_000, True, False, 2),
        (("Flat white", "馥列白", "澳白"), "flat-white", 13_000, True, True, 3),
        (("Cappuccino", "卡布奇諾", "卡布奇诺"), "cappuccino", 12_000, True, True, 4),
        (("Mocha", "摩卡", "摩卡"), "mocha", 14_000, True, True, None),
        (("Drip coffee", "手沖咖啡", "手冲咖啡"), "drip", 8_000, True, False, 5),
    ],
    (("Tea", "茶", "茶"), "tea"): [
        (("Oolong", "烏龍茶", "乌龙茶"), "oolong", 9_000, True, False, None),
        (("Earl Grey latte", "伯爵茶拿鐵", "伯爵茶拿铁"), "earl-grey-latte", 12_000, True, True, None),
    ],
    (("Food", "輕食", "轻食"), "food"): [
        (("Croissant", "可頌", "牛角面包"), "croissant", 8_000, False, False, 6),
        (("Banana bread", "香蕉蛋糕", "香蕉蛋糕"), "banana-bread", 9_000, False, False, None),
    ],
}


def in_every_language(field: str, names: Names) -> dict[str, str]:
    """`{"name_en": …, "name_zh_hant": …, "name_zh_hans": …}` for django-modeltranslation's columns."""
    return dict(zip((f"{field}_en", f"{field}_zh_hant", f"{field}_zh_hans"), names, strict=True))


def _translate(instance: Any, field: str, names: Names) -> None:
    """Fill the Chinese names of a row an earlier demo load made in English only."""
    missing = {key: value for key, value in in_every_language(field, names).items() if not getattr(instance, key)}
    if missing:
        type(instance).objects.filter(pk=instance.pk).update(**missing)


def load_menu_demo() -> None:
    def options(group: Names, rows: list[tuple[Names, int, bool]]) -> list[ModifierOption]:
        found = []
        for i, (names, price, default) in enumerate(rows):
            option, _ = ModifierOption.objects.get_or_create(
                group_en=group[0],
                name_en=names[0],
                defaults={
                    **in_every_language("group", group),
                    **in_every_language("name", names),
                    "price": price,
                    "is_default": default,
                    "position": i,
                },
            )
            _translate(option, "group", group)
            _translate(option, "name", names)
            found.append(option)
        return found

    sizes, milks, extras = options(SIZE, SIZES), options(MILK, MILKS), options(EXTRAS, EXTRA_SHOT)
    for position, ((cat_names, slug), products) in enumerate(MENU.items()):
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={**in_every_language("name", cat_names), "position": position}
        )
        _translate(category, "name", cat_names)
        for names, sku, price, sized, milky, quick in products:
            product, created = Product.objects.get_or_create(
                sku=sku,
                defaults={**in_every_language("name", names), "category": category, "price": price, "quick_key": quick},
            )
            _translate(product, "name", names)
            if created:
                product.modifiers.set((sizes if sized else []) + (milks if milky else []) + (extras if sized else []))


class Command(BaseCommand):
    help = "Load the demo menu (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        load_menu_demo()
        self.stdout.write("Menu ready.")
