"""Options sold out at the store (oat milk ran out) at the tills: shown
disabled and marked on the online till's line and in the offline till's kept
menu, refused by the cart service whichever way they come (a tap, the usual,
an order ahead), while a sale rung up offline before it sold out still syncs."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from payments.models import ModifierOption, Order, Product, Store
from payments.services.ahead import modifier_sold_out_set
from payments.services.orders import TillError, order_add_product
from tests.offline.conftest import sale, terminal_client

pytestmark = pytest.mark.django_db


def option(group: str, name: str) -> ModifierOption:
    return ModifierOption.objects.get(group=group, name=name)


def sold_out(store: Store, group: str, name: str) -> ModifierOption:
    found = option(group, name)
    modifier_sold_out_set(option=found, store=store, sold_out=True)
    return found


def order_of(client: Client) -> Order:
    client.get("/pos/")
    return Order.objects.get(pk=client.session["pos_order_id"])


def add(client: Client, order: Order, sku: str) -> str:
    url = f"/pos/orders/{order.pk}/add/{Product.objects.get(sku=sku).pk}/"
    return html.unescape(client.post(url, HTTP_HX_REQUEST="true").content.decode())


def tap(client: Client, line_pk: int, chosen: ModifierOption) -> str:
    page = client.post(f"/pos/lines/{line_pk}/modifiers/", {"toggle": chosen.pk}, HTTP_HX_REQUEST="true")
    return html.unescape(page.content.decode())


def button(page: str, line_pk: int, chosen: ModifierOption) -> str:
    start = page.index(f'id="mod-{line_pk}-{chosen.pk}"')
    return page[start : page.index("</button>", start)]


def test_a_sold_out_option_is_disabled_and_marked_on_the_till_line(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    oat = sold_out(store, "Milk", "Oat milk")
    order = order_of(client)
    page = add(client, order, "latte")
    line = order.lines.get()
    assert " disabled data-sold-out" in button(page, line.pk, oat) and "Sold out" in button(page, line.pk, oat)
    soy = option("Milk", "Soy milk")
    assert "disabled" not in button(page, line.pk, soy) and "Sold out" not in button(page, line.pk, soy)
    # Another store's sold-out list is not this one's.
    modifier_sold_out_set(option=soy, store=Store.objects.create(name="Xinyi", slug="xinyi"), sold_out=True)
    assert "disabled" not in button(tap(client, line.pk, option("Size", "Large")), line.pk, soy)


def test_a_tap_on_a_sold_out_option_is_refused_with_the_reason_and_changes_nothing(
    pos_till: tuple[Client, Store],
) -> None:
    client, store = pos_till
    order = order_of(client)
    add(client, order, "latte")  # NT$120 + Medium 15, whole milk
    line = order.lines.get()
    oat = sold_out(store, "Milk", "Oat milk")
    page = tap(client, line.pk, oat)
    assert "Oat milk is sold out at Da'an; choose another Milk." in page
    order.refresh_from_db()
    assert order.total == 13_500 and sorted(line.modifiers.values_list("name", flat=True)) == ["Medium", "Whole milk"]
    modifier_sold_out_set(option=oat, store=store, sold_out=False)  # back in: the same tap takes it
    assert "sold out" not in tap(client, line.pk, oat)
    order.refresh_from_db()
    assert order.total == 15_000


def test_a_line_holding_an_option_that_sold_out_since_must_change_it(pos_till: tuple[Client, Store]) -> None:
    """Oat milk was chosen, then ran out: changing the size says so, and
    choosing another milk is taken."""
    client, store = pos_till
    order = order_of(client)
    add(client, order, "latte")
    line = order.lines.get()
    tap(client, line.pk, option("Milk", "Oat milk"))
    sold_out(store, "Milk", "Oat milk")
    assert "Oat milk is sold out at Da'an" in tap(client, line.pk, option("Size", "Large"))
    tap(client, line.pk, option("Milk", "Soy milk"))
    assert sorted(line.modifiers.values_list("name", flat=True)) == ["Medium", "Soy milk"]


def test_a_tap_on_a_drink_whose_default_is_sold_out_takes_the_first_option_that_is_not(
    pos_till: tuple[Client, Store],
) -> None:
    client, store = pos_till
    sold_out(store, "Size", "Medium")
    home = client.get("/pos/").content.decode()
    tile = home[home.index('data-testid="product-latte"') :]
    assert tile[: tile.index("</button>")].endswith("<span>NT$120</span>")  # a Small, as a tap adds it
    search = client.get("/pos/search/?q=latte", HTTP_HX_REQUEST="true").content.decode()
    assert "Latte<span>NT$120</span>" in search
    order = order_of(client)
    add(client, order, "latte")
    line = order.lines.get()
    assert sorted(line.modifiers.values_list("name", flat=True)) == ["Small", "Whole milk"]
    order.refresh_from_db()
    assert order.total == 12_000


def test_a_drink_whose_group_is_all_sold_out_is_refused(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    for name in ModifierOption.objects.filter(group="Milk").values_list("name", flat=True):
        sold_out(store, "Milk", name)
    order = order_of(client)
    assert "Whole milk is sold out at Da'an; choose another Milk." in add(client, order, "latte")
    assert not order.lines.exists()
    add(client, order, "croissant")  # no options: still sold
    assert order.lines.count() == 1


def test_the_cart_service_refuses_a_sold_out_option_chosen_explicitly(pos_till: tuple[Client, Store]) -> None:
    """The usual (a one-tap repeat with its options) and order ahead pass
    their options here: the refusal is item_sold_out (409), as on the API."""
    client, store = pos_till
    order = order_of(client)
    oat = sold_out(store, "Milk", "Oat milk")
    with pytest.raises(TillError) as refused:
        order_add_product(order=order, product=Product.objects.get(sku="latte"), modifier_ids=[oat.pk])
    assert (refused.value.code, refused.value.status) == ("item_sold_out", 409)
    assert not order.lines.exists()


def test_the_offline_menu_marks_sold_out_options_and_skips_a_sold_out_default(
    pos_till: tuple[Client, Store], django_assert_max_num_queries: Any
) -> None:
    client, store = pos_till
    oat = sold_out(store, "Milk", "Oat milk")
    medium = sold_out(store, "Size", "Medium")
    with django_assert_max_num_queries(11):  # as many as without sold-out options
        menu = client.get("/pos/offline/menu/").json()
    latte = next(p for c in menu["categories"] for p in c["products"] if p["sku"] == "latte")
    options = {o["id"]: o for g in latte["groups"] for o in g["options"]}
    assert options[oat.pk]["sold_out"] and options[medium.pk]["sold_out"]
    assert not options[option("Milk", "Soy milk").pk]["sold_out"]
    small = option("Size", "Small")
    assert small.pk in latte["modifiers"] and medium.pk not in latte["modifiers"]
    assert latte["price"] == 12_000  # a Small, as the tap adds it


def test_a_sale_rung_up_offline_before_its_option_sold_out_is_still_recorded(pos_till: tuple[Client, Store]) -> None:
    """The sync records a sale as it was rung up (README, "The till
    offline"): an option sold out since does not refuse it."""
    _client, store = pos_till
    oat = sold_out(store, "Milk", "Oat milk")
    api: APIClient = terminal_client(store)
    line = {"sku": "latte", "quantity": 1, "unit_price": 15_000, "modifiers": [option("Size", "Medium").pk, oat.pk]}
    response = api.post("/api/v1/offline/sales", {"sales": [sale(lines=[line])]}, format="json")
    [result] = response.json()["results"]
    assert result["status"] == "created", result
    order = Order.objects.get(pk=result["order"])
    assert order.total == 15_000 and order.lines.get().modifiers_label == "Medium, Oat milk"
