"""Order ahead in the portal, first steps: choose a store, browse its menu,
choose an item's options and add it to the cart (payments.views.ahead_session).
The services and selectors of payments.services.ahead decide what a store
takes; these pages show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from members.selectors import member_for_user
from members.services import member_get_or_create_for_user
from payments.models import ModifierOption, Product, Store
from payments.recommendations.shown import recommendations_for_member
from payments.selectors.ahead import ahead_menu, member_ahead_orders, store_for_ordering, stores_for_ordering
from payments.services.ahead import (
    MAX_QUANTITY,
    OPEN,
    AheadState,
    ahead_ready_estimate,
    store_ahead_state,
    store_intervals,
    store_zone,
)
from payments.views.ahead_session import (
    LAST_STORE,
    cart_add,
    cart_count,
    default_options,
    menu_products,
    with_defaults,
)

TILE_COLOURS = 6  # .tile-c0 … .tile-c5 in app.css: a product without a photo gets one


@dataclass
class StoreChoice:
    store: Store
    zone: tzinfo  # the store's: its times are shown in it
    state: AheadState
    hours_today: list[tuple[datetime, datetime]]
    ready_estimate: datetime | None


def ordering_store(slug: str) -> Store:
    """The store, if it takes orders ahead at all (closed or paused still shows)."""
    store = store_for_ordering(slug=slug)
    if store is None or not store.ahead_enabled:
        raise Http404
    return store


def store_choice(store: Store, now: datetime, items: int = 1) -> StoreChoice:
    """The store's state now, hours today, and (while open) when `items`
    ordered now would be ready."""
    state = store_ahead_state(store=store, now=now)
    zone = store_zone(store)
    estimate = ahead_ready_estimate(store=store, now=now, items=items) if state.state == OPEN else None
    return StoreChoice(store, zone, state, store_intervals(store=store, day=now.astimezone(zone).date()), estimate)


@login_required
def stores(request: HttpRequest) -> HttpResponse:
    """The stores that take orders ahead, the last one used first (the
    browser puts the nearest first when it may know where the member is)."""
    now = timezone.now()
    choices = [store_choice(store, now) for store in stores_for_ordering() if store.ahead_enabled]
    last = request.session.get(LAST_STORE)
    if last is None:
        member = member_get_or_create_for_user(user=request.user)
        recent = member_ahead_orders(member_id=member.pk, limit=1)
        last = recent[0].store.slug if recent else None
    choices.sort(key=lambda choice: choice.store.slug != last)  # stable: the rest keep their order
    return render(request, "payments/ahead_stores.html", {"choices": choices, "last": last})


def last_ahead_store(request: HttpRequest) -> Store | None:
    """The store the member last ordered ahead from in this session, if it
    still takes orders ahead: where "For you" on the home page orders from."""
    slug = request.session.get(LAST_STORE)
    if not isinstance(slug, str):
        return None
    return Store.objects.filter(slug=slug, is_active=True, ahead_enabled=True).first()


def price_with_defaults(product: Product) -> int:
    return product.price + sum(option.price for option in default_options(product))


@login_required
def menu(request: HttpRequest, slug: str) -> HttpResponse:
    """The store's menu by category: photo or a colour tile, the price as it
    comes (default options), sold out greyed and not orderable."""
    store = ordering_store(slug)
    found = ahead_menu(store=store)
    categories = [
        (
            category,
            [
                {
                    "product": product,
                    "price": price_with_defaults(product),
                    "sold_out": product.pk in found.sold_out_products,
                    "tile": f"tile-c{product.pk % TILE_COLOURS}",
                }
                for product in category.ahead_products  # type: ignore[attr-defined]
            ],
        )
        for category in found.categories
    ]
    context = {
        "store": store,
        "choice": store_choice(store, timezone.now()),
        "for_you": recommendations_for_member(
            member=member_for_user(user=request.user),
            store=store,
            sold_out_products=found.sold_out_products,
            sold_out_modifiers=found.sold_out_modifiers,
        ),
        "categories": categories,
        "cart_count": cart_count(request.session, store.slug),
    }
    return render(request, "payments/ahead_menu.html", context)


@dataclass
class OptionGroup:
    name: str
    field: str  # the form field of the group's radio buttons
    options: list[tuple[ModifierOption, bool]]  # (option, sold out)
    chosen: int | None  # the option checked at first (None: "none")
    optional: bool  # no default: "none" is a choice


# Groups in the order a barista asks (the menu's own order is alphabetical);
# by their English name, which every language's row keeps.
GROUP_ORDER = ["size", "temperature", "sweetness", "ice", "milk", "extras", "extra shot"]


def _group_rank(option: ModifierOption) -> tuple[int, str, int]:
    english = (getattr(option, "group_en", None) or option.group).lower()
    rank = GROUP_ORDER.index(english) if english in GROUP_ORDER else len(GROUP_ORDER)
    return rank, english, option.position


def option_groups(product: Product, sold_out: set[int]) -> list[OptionGroup]:
    """The product's options by group, each group one choice; the default is
    checked first unless it is sold out, then the first one that is not."""
    by_group: dict[str, list[ModifierOption]] = {}
    ordered = sorted(product.modifiers.all(), key=lambda option: _group_rank(option))
    for option in ordered:
        by_group.setdefault(option.group, []).append(option)
    groups = []
    for number, (name, options) in enumerate(by_group.items()):
        default = next((option for option in options if option.is_default), None)
        available = [option for option in options if option.pk not in sold_out]
        chosen = default if default is not None and default.pk not in sold_out else None
        if chosen is None and default is not None and available:
            chosen = available[0]
        groups.append(
            OptionGroup(
                name=name,
                field=f"group-{number}",
                options=[(option, option.pk in sold_out) for option in options],
                chosen=chosen.pk if chosen else None,
                optional=default is None,
            )
        )
    return groups


def _chosen_options(request: HttpRequest, product: Product) -> list[int] | None:
    """The options the sheet sent (one per group field); None if one is not
    the product's."""
    allowed = {option.pk for option in product.modifiers.all()}
    chosen = []
    for name in request.POST:
        value = request.POST.get(name, "")
        if not name.startswith("group-") or not value:
            continue
        if not value.isdigit() or int(value) not in allowed:
            return None
        chosen.append(int(value))
    return chosen


def _quantity(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_QUANTITY else None


@login_required
def item(request: HttpRequest, slug: str, product_id: int) -> HttpResponse:
    """One item's sheet: its options by group with their prices, quantity and
    a note for the baristas; "Add to cart" keeps it in the session."""
    store = ordering_store(slug)
    found = ahead_menu(store=store)
    product = menu_products(found).get(product_id)
    if product is None:
        raise Http404
    sold_out = product.pk in found.sold_out_products
    errors: list[str] = []
    if request.method == "POST":
        chosen = _chosen_options(request, product)
        quantity = _quantity(request.POST.get("quantity", ""))
        note = request.POST.get("note", "")
        if sold_out:
            errors.append(_("%(product)s is sold out here today.") % {"product": product.name})
        if chosen is None:
            errors.append(_("Choose from the options shown."))
        if quantity is None:
            errors.append(_("Choose a quantity from 1 to %(n)s.") % {"n": MAX_QUANTITY})
        if not errors:
            assert chosen is not None and quantity is not None
            if cart_add(
                request.session,
                store.slug,
                product_id=product.pk,
                modifier_ids=with_defaults(product, chosen),
                quantity=quantity,
                note=note,
            ):
                messages.success(request, _("Added to your cart: %(product)s.") % {"product": product.name})
                return redirect("wallet:ahead_menu", slug=store.slug)
            errors.append(_("Your cart is full."))
    context: dict[str, Any] = {
        "store": store,
        "product": product,
        "sold_out": sold_out,
        "groups": option_groups(product, found.sold_out_modifiers),
        "tile": f"tile-c{product.pk % TILE_COLOURS}",
        "errors": errors,
        "max_quantity": MAX_QUANTITY,
        "cart_count": cart_count(request.session, store.slug),
    }
    return render(request, "payments/ahead_item.html", context, status=422 if errors else 200)
