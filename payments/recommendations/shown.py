"""What a page may show a member now: their usual and up to SHOWN_LIKES
items they may like, from last night's job, if they still agree to
personalised offers and are not in the holdout; nothing sold out at the
store, nothing off the menu. A constant number of queries (at most five)
whatever the number of recommendations."""

from __future__ import annotations

from dataclasses import dataclass, field

from members.models import Member
from members.selectors import personalised_offers_agreed
from payments.models import ModifierOption, Product, Recommendation, Store

SHOWN_LIKES = 3


@dataclass(frozen=True)
class Usual:
    product: Product
    options: list[ModifierOption]

    @property
    def options_label(self) -> str:
        return ", ".join(option.name for option in self.options)

    @property
    def option_ids(self) -> list[int]:
        return [option.pk for option in self.options]

    @property
    def unit_price(self) -> int:
        return self.product.price + sum(option.price for option in self.options)


@dataclass(frozen=True)
class ForYou:
    usual: Usual | None = None
    likes: list[Product] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.usual is not None or bool(self.likes)


NOTHING = ForYou()


def recommendations_for_member(
    *,
    member: Member | None,
    store: Store | None = None,
    sold_out_products: set[int] | None = None,
    sold_out_modifiers: set[int] | None = None,
    likes: int = SHOWN_LIKES,
) -> ForYou:
    """The member's recommendations as they may be shown at `store` (None:
    no store chosen yet, only what is still on the menu). Pass the store's
    sold-out sets when the page has them already (the order-ahead menu)."""
    if member is None or not personalised_offers_agreed(member=member):
        return NOTHING
    rows = list(
        Recommendation.objects.filter(member=member, holdout=False, product__is_active=True)
        .select_related("product")
        .order_by("kind", "rank")
    )
    if not rows:
        return NOTHING
    if store is not None and sold_out_products is None:
        sold_out_products = set(store.unavailable_products.values_list("pk", flat=True))
    sold_out = sold_out_products or set()
    shown = [row for row in rows if row.product_id not in sold_out]
    usual_row = next((row for row in shown if row.kind == Recommendation.Kind.USUAL), None)
    liked = [row.product for row in shown if row.kind == Recommendation.Kind.LIKE][:likes]
    usual = None
    if usual_row is not None:
        if store is not None and sold_out_modifiers is None:
            sold_out_modifiers = set(store.unavailable_modifiers.values_list("pk", flat=True))
        usual = _usual(usual_row, sold_out_modifiers or set())
    return ForYou(usual=usual, likes=liked)


def _usual(row: Recommendation, sold_out_modifiers: set[int]) -> Usual | None:
    """The usual exactly as the member takes it, or none: an option sold out
    here, or no longer offered with the item, and it is not their usual."""
    ids = [int(i) for i in row.modifier_ids]
    if set(ids) & sold_out_modifiers:
        return None
    options = list(ModifierOption.objects.filter(pk__in=ids, products=row.product_id)) if ids else []
    if len(options) != len(set(ids)):
        return None
    options.sort(key=lambda option: (option.group, option.position))
    return Usual(product=row.product, options=options)
