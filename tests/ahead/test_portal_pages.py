"""The member's order-ahead pages in the portal: the store chooser, the
menu, an item's sheet and the cart, and the entry points to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member
from payments.models import Store
from payments.services.ahead import modifier_sold_out_set, product_sold_out_set, store_ahead_pause
from tests.ahead.conftest import open_store, option, product
from tests.ahead.portal import add_to_cart

pytestmark = pytest.mark.django_db


def test_the_home_and_more_pages_lead_to_order_ahead(member_client: Client) -> None:
    assert 'href="/order/"' in member_client.get("/").content.decode()
    more = member_client.get("/more/").content.decode()
    assert 'href="/order/"' in more and 'href="/orders/"' in more


def test_the_store_chooser_shows_hours_today_and_each_state(member_client: Client, store: Store) -> None:
    paused = open_store(slug="paused")
    store_ahead_pause(store=paused, until=timezone.now() + timedelta(minutes=30), reason="Two baristas off sick")
    closed = open_store(slug="closed")
    closed.hours.all().delete()
    Store.objects.create(name="No orders", slug="off")  # does not take orders ahead: not listed
    html = member_client.get("/order/").content.decode()
    cards = {slug: html.split(f'data-testid="store-{slug}"')[1].split("</li>")[0] for slug in ("ahead", "paused")}
    assert "08:00–20:00" in cards["ahead"] and "Open until 20:00 · ready about" in cards["ahead"]
    assert "Order ahead paused (Two baristas off sick) until" in cards["paused"]
    closed_card = html.split('data-testid="store-closed"')[1].split("</li>")[0]
    assert "closed all day" in closed_card and "Closed now" in closed_card
    assert 'data-testid="store-off"' not in html


def test_the_last_used_store_comes_first_and_stores_carry_their_location(member_client: Client, store: Store) -> None:
    Store.objects.filter(pk=store.pk).update(latitude="25.033000", longitude="121.565400")
    other = open_store(slug="aaa-first-by-name")
    html = member_client.get("/order/").content.decode()
    assert html.index("store-aaa-first-by-name") < html.index('store-ahead"')
    assert 'data-lat="25.033000" data-lng="121.565400"' in html
    add_to_cart(member_client, store)  # using a store makes it the last used
    html = member_client.get("/order/").content.decode()
    assert html.index('store-ahead"') < html.index(f"store-{other.slug}") and "Last used" in html


# The menu page, whatever its size: +2 for "For you" (the member and their
# consent to personalised offers; payments.recommendations.shown).
MENU_QUERIES = 12


def test_the_menu_shows_categories_prices_with_default_options_and_sold_out_greyed(
    member_client: Client, store: Store, django_assert_max_num_queries: Any
) -> None:
    product_sold_out_set(product=product("mocha"), store=store, sold_out=True)
    member_client.get(f"/order/{store.slug}/")  # warm the session and caches
    with django_assert_max_num_queries(MENU_QUERIES):
        html = member_client.get(f"/order/{store.slug}/").content.decode()
    assert '<h2 id="category-coffee">Coffee</h2>' in html and '<h2 id="category-food">Food</h2>' in html
    latte = html.split('data-testid="product-latte"')[1].split("</li>")[0]
    assert "NT$135" in latte  # NT$120 and a Medium (+NT$15), whole milk
    assert f'href="/order/{store.slug}/items/{product("latte").pk}/"' in latte
    assert 'class="menu-photo tile-c' in latte  # no photo: a colour tile
    mocha = html.split('data-testid="product-mocha"')[1].split("</li>")[0]
    assert "is-sold-out" in html.split('data-testid="product-mocha"')[0][-60:] and "Sold out" in mocha
    assert "href=" not in mocha  # not orderable


def test_the_menu_query_count_does_not_grow_with_the_menu(
    member_client: Client, store: Store, django_assert_max_num_queries: Any
) -> None:
    from payments.models import Category, Product

    coffee = Category.objects.get(slug="coffee")
    for number in range(30):
        made = Product.objects.create(category=coffee, name=f"Blend {number}", sku=f"blend-{number}", price=10_000)
        made.modifiers.set(product("latte").modifiers.all())
    member_client.get(f"/order/{store.slug}/")
    with django_assert_max_num_queries(MENU_QUERIES):
        assert "Blend 29" in member_client.get(f"/order/{store.slug}/").content.decode()


def test_the_item_sheet_offers_each_group_with_prices_and_sold_out_options_disabled(
    member_client: Client, store: Store
) -> None:
    modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=True)
    html = member_client.get(f"/order/{store.slug}/items/{product('latte').pk}/").content.decode()
    legends = [part.split("</legend>")[0] for part in html.split("<legend>")[1:]]
    assert legends == ["Size", "Milk", "Extras"]  # as a barista asks, not alphabetical
    assert f'value="{option("Medium").pk}" checked' in html  # the default
    assert "+NT$30" in html  # Large
    oat = html.split(f'value="{option("Oat milk").pk}"')[1].split("</label>")[0]
    assert " disabled" in oat.split(">")[0] and "Sold out" in oat
    assert 'name="quantity"' in html and 'name="note"' in html


def test_add_to_cart_keeps_the_options_quantity_and_note_in_the_session(member_client: Client, store: Store) -> None:
    response = add_to_cart(
        member_client, store, "latte", "Large", "Oat milk", "Extra shot", quantity=2, note="extra hot"
    )
    assert response.status_code == 302 and response["Location"] == f"/order/{store.slug}/"
    add_to_cart(member_client, store, "latte", "Large", "Oat milk", "Extra shot", quantity=1, note="extra hot")
    cart = member_client.session["ahead_carts"][store.slug]
    assert len(cart["lines"]) == 1  # the same item again adds to its quantity
    line = cart["lines"][0]
    assert line["quantity"] == 3 and line["note"] == "extra hot"
    assert set(line["modifiers"]) == {option(name).pk for name in ("Large", "Oat milk", "Extra shot")}
    html = member_client.get(f"/order/{store.slug}/cart/").content.decode()
    lines = html.split('data-testid="cart-lines"')[1].split("</ul>")[0]
    assert "Large · Oat milk · Extra shot" in lines and "“extra hot”" in lines
    assert "NT$555" in lines  # (120 + 30 + 15 + 20) × 3
    assert "Pay NT$555 from wallet" in html
    assert "View cart · 3 items" in member_client.get(f"/order/{store.slug}/").content.decode()


def test_the_sheet_refuses_a_sold_out_item_an_option_of_another_item_and_a_bad_quantity(
    member_client: Client, store: Store
) -> None:
    croissant = add_to_cart(member_client, store, "croissant", "Oat milk")
    assert croissant.status_code == 422 and "Choose from the options shown." in croissant.content.decode()
    assert add_to_cart(member_client, store, "latte", quantity=21).status_code == 422
    product_sold_out_set(product=product("latte"), store=store, sold_out=True)
    sold = add_to_cart(member_client, store, "latte")
    assert sold.status_code == 422 and "Latte is sold out here today." in sold.content.decode()
    assert "ahead_carts" not in member_client.session


def test_the_cart_changes_quantity_removes_and_previews_a_coupon(
    member_client: Client, member: Member, store: Store
) -> None:
    from campaigns.coupons import coupon_issue
    from campaigns.models import CouponTemplate

    add_to_cart(member_client, store, "latte")
    add_to_cart(member_client, store, "croissant")
    cart_url = f"/order/{store.slug}/cart/"
    member_client.post(cart_url, {"action": "quantity", "line": "0", "quantity": "2"})
    member_client.post(cart_url, {"action": "remove", "line": "1"})
    lines = member_client.session["ahead_carts"][store.slug]["lines"]
    assert [(line["product"], line["quantity"]) for line in lines] == [(product("latte").pk, 2)]
    template = CouponTemplate.objects.create(name="NT$50 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=5_000)
    coupon = coupon_issue(member=member, template=template, source="test")
    html = member_client.get(cart_url).content.decode()
    assert f'data-value="{coupon.code}"' in html  # the member's coupon, one tap to fill in
    member_client.post(cart_url, {"action": "coupon", "coupon": coupon.code.lower()})
    html = member_client.get(cart_url).content.decode()
    assert "NT$50 off: −NT$50" in html and "Pay NT$220 from wallet" in html  # 2 × (120 + a Medium 15) − 50
    member_client.post(cart_url, {"action": "coupon", "coupon": "NOPE"})
    assert "No such coupon for this member." in member_client.get(cart_url).content.decode()


def test_the_cart_offers_15_minute_slots_today_inside_opening_hours(member_client: Client, store: Store) -> None:
    add_to_cart(member_client, store)
    html = member_client.get(f"/order/{store.slug}/cart/").content.decode()
    slots = html.split('data-testid="pickup-time"')[1].split("</select>")[0]
    times = [part.split('"')[0] for part in slots.split('<option value="')[1:]]
    assert times and times[-1] == "19:45"  # the last before closing at 20:00
    assert all(t[-2:] in ("00", "15", "30", "45") for t in times)
    assert "As soon as possible (ready about" in html


def test_order_ahead_pages_need_a_signed_in_member(client: Client, store: Store) -> None:
    for path in ("/order/", f"/order/{store.slug}/", f"/order/{store.slug}/cart/", "/orders/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_store_that_does_not_take_orders_ahead_has_no_menu(member_client: Client, store: Store) -> None:
    Store.objects.create(name="No orders", slug="off")
    assert member_client.get("/order/off/").status_code == 404
    assert member_client.get("/order/nowhere/").status_code == 404
