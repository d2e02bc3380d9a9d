"""The member's order-ahead cart, kept in their session, one per store.

A cart is what the member means to order, not an order: nothing is held or
charged until they pay (ahead_order_place checks everything again then). It
carries a one-time key that the pay form sends as the order's idempotency
key, so a double tap or a resent form orders once; the key changes only when
an order is placed from the cart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _

from payments.models import ModifierOption, Product
from payments.selectors.ahead import AheadMenu
from payments.services.ahead import MAX_LINES, MAX_QUANTITY

CARTS = "ahead_carts"
LAST_STORE = "ahead_last_store"


def _new_cart() -> dict[str, Any]:
    return {"key": uuid.uuid4().hex, "lines": [], "coupon": ""}


def cart_of(session: SessionBase, slug: str) -> dict[str, Any]:
    """The store's cart (a fresh empty one if there is none)."""
    cart = session.get(CARTS, {}).get(slug)
    return cart if isinstance(cart, dict) and "key" in cart else _new_cart()


def cart_save(session: SessionBase, slug: str, cart: dict[str, Any]) -> None:
    carts = dict(session.get(CARTS, {}))
    carts[slug] = cart
    session[CARTS] = carts
    session[LAST_STORE] = slug


def cart_add(
    session: SessionBase, slug: str, *, product_id: int, modifier_ids: list[int], quantity: int, note: str
) -> bool:
    """Add a line; the same item with the same options and note adds to its
    quantity. False when the cart is full (lines or quantity)."""
    cart = cart_of(session, slug)
    wanted = {"product": product_id, "modifiers": sorted(modifier_ids), "note": note.strip()[:120]}
    for line in cart["lines"]:
        if {key: line[key] for key in wanted} == wanted:
            if line["quantity"] + quantity > MAX_QUANTITY:
                return False
            line["quantity"] += quantity
            break
    else:
        if len(cart["lines"]) >= MAX_LINES:
            return False
        cart["lines"].append({**wanted, "quantity": quantity})
    cart_save(session, slug, cart)
    return True


def cart_set_quantity(session: SessionBase, slug: str, *, index: int, quantity: int) -> None:
    """Change a line's quantity (within 1 to MAX_QUANTITY); 0 removes it."""
    cart = cart_of(session, slug)
    if not 0 <= index < len(cart["lines"]):
        return
    if quantity <= 0:
        del cart["lines"][index]
    else:
        cart["lines"][index]["quantity"] = min(quantity, MAX_QUANTITY)
    cart_save(session, slug, cart)


def cart_set_coupon(session: SessionBase, slug: str, code: str) -> None:
    cart = cart_of(session, slug)
    cart["coupon"] = code.strip().upper()[:16]
    cart_save(session, slug, cart)


def cart_set_reward(session: SessionBase, slug: str, reward_id: int | None) -> None:
    """The reward to redeem when paying (None: none). Nothing is spent until then."""
    cart = cart_of(session, slug)
    cart["reward"] = reward_id
    cart_save(session, slug, cart)


def cart_set_use_points(session: SessionBase, slug: str, use: bool) -> None:
    """Whether the member's points pay what they cover when paying."""
    cart = cart_of(session, slug)
    cart["use_points"] = use
    cart_save(session, slug, cart)


def cart_clear(session: SessionBase, slug: str, *, key: str) -> None:
    """Empty the store's cart once an order was placed with its key (not a
    cart the member has started again since)."""
    if cart_of(session, slug)["key"] == key:
        cart_save(session, slug, _new_cart())


def cart_count(session: SessionBase, slug: str) -> int:
    return sum(line["quantity"] for line in cart_of(session, slug)["lines"])


def default_options(product: Product) -> list[ModifierOption]:
    """The options a product comes with when nothing else is chosen (the
    sheet starts there; the price on the menu is the product's with them)."""
    return [option for option in product.modifiers.all() if option.is_default]


def with_defaults(product: Product, option_ids: list[int]) -> list[int]:
    """The chosen options plus the default of each group left unchosen, as
    the order will have them (ahead_order_place's rule), so the cart shows
    what will be charged."""
    options = list(product.modifiers.all())
    chosen_groups = {option.group for option in options if option.pk in option_ids}
    return option_ids + [o.pk for o in options if o.is_default and o.group not in chosen_groups]


@dataclass
class CartLine:
    index: int
    product: Product | None
    options: list[ModifierOption]
    quantity: int
    note: str
    problem: str = ""  # why it cannot be ordered now (sold out, off the menu)
    gone: bool = False  # off the menu or its options changed: it cannot be sent as it is

    @property
    def unit_price(self) -> int:
        if self.product is None:
            return 0
        return self.product.price + sum(option.price for option in self.options)

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


@dataclass
class PricedCart:
    key: str
    coupon: str
    lines: list[CartLine] = field(default_factory=list)
    reward: int | None = None  # a reward's id, redeemed when paying
    use_points: bool = False

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines if not line.problem)

    @property
    def items(self) -> int:
        return sum(line.quantity for line in self.lines if not line.problem)

    @property
    def problems(self) -> list[CartLine]:
        return [line for line in self.lines if line.problem]


def menu_products(menu: AheadMenu) -> dict[int, Product]:
    return {product.pk: product for category in menu.categories for product in category.ahead_products}  # type: ignore[attr-defined]


def cart_priced(cart: dict[str, Any], menu: AheadMenu) -> PricedCart:
    """The cart's lines with the store's menu as it is now: prices, options,
    and what can no longer be ordered (said on the line)."""
    products = menu_products(menu)
    reward = cart.get("reward")
    priced = PricedCart(
        key=cart["key"],
        coupon=cart.get("coupon", ""),
        reward=reward if isinstance(reward, int) else None,
        use_points=cart.get("use_points") is True,
    )
    for index, line in enumerate(cart["lines"]):
        product = products.get(line["product"])
        options: list[ModifierOption] = []
        problem = ""
        if product is None:
            problem = _("No longer on the menu.")
        else:
            allowed = {option.pk: option for option in product.modifiers.all()}
            options = [allowed[pk] for pk in line["modifiers"] if pk in allowed]
            if len(options) != len(line["modifiers"]):
                problem = _("Its options have changed; remove it and add it again.")
            elif product.pk in menu.sold_out_products:
                problem = _("Sold out.")
            elif any(option.pk in menu.sold_out_modifiers for option in options):
                problem = _("An option is sold out.")
        gone = product is None or len(options) != len(line["modifiers"])
        priced.lines.append(CartLine(index, product, options, line["quantity"], line["note"], problem, gone))
    return priced
