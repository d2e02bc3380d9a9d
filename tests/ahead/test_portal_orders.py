"""After paying: the order page follows the baristas (a small partial polled
until the order is final), the member cancels before they start and gets the
money back, and "order again" refills the cart, leaving out what is sold out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.models import Order, Store
from payments.selectors.ahead import ahead_queue
from payments.services.ahead import (
    AheadLine,
    ahead_order_advance,
    ahead_order_place,
    modifier_sold_out_set,
    product_sold_out_set,
)
from tests.ahead.conftest import latte, option, product
from tests.ahead.portal import balance, fund

pytestmark = pytest.mark.django_db


def placed(member: Member, store: Store) -> Order:
    lines = [latte(2, "Large", "Oat milk", note="extra hot"), AheadLine(product=product("croissant"))]
    return ahead_order_place(member=fund(member), store=store, lines=lines).order


def test_the_order_page_shows_status_estimate_items_and_polls_while_not_final(
    member_client: Client, member: Member, store: Store, django_assert_max_num_queries: Any
) -> None:
    order = placed(member, store)
    member_client.get(f"/orders/{order.pk}/")
    with django_assert_max_num_queries(11):
        html = member_client.get(f"/orders/{order.pk}/").content.decode()
    assert f"<h1>Order #{order.pk}</h1>" in html
    assert 'data-testid="order-status">Received<' in html and "Ready about" in html
    assert f'hx-get="/orders/{order.pk}/status/" hx-trigger="every 3s"' in html
    assert "2 × Latte" in html and "Oat milk · Large" in html and "“extra hot”" in html
    assert 'data-testid="cancel-order"' in html


def test_the_status_partial_follows_the_baristas_and_stops_polling_when_collected(
    member_client: Client, member: Member, store: Store, django_assert_max_num_queries: Any
) -> None:
    order = placed(member, store)
    url = f"/orders/{order.pk}/status/"
    ahead_order_advance(order=order, status="preparing")
    with django_assert_max_num_queries(11):
        partial = member_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="order-live"') and "<html" not in partial
    assert ">Preparing<" in partial and "cancel-order" not in partial and "every 3s" in partial
    ahead_order_advance(order=order, status="ready")
    partial = member_client.get(url).content.decode()
    assert "Your order is ready at the counter." in partial and "every 3s" in partial
    ahead_order_advance(order=order, status="collected")
    partial = member_client.get(url).content.decode()
    assert ">Collected<" in partial and "hx-get" not in partial


def test_another_members_order_is_not_found(member_client: Client, store: Store, make_member: Any) -> None:
    other = placed(make_member("Other"), store)
    for path in (f"/orders/{other.pk}/", f"/orders/{other.pk}/status/", f"/orders/{other.pk}/cancel/"):
        assert member_client.get(path).status_code == 404
    assert member_client.post(f"/orders/{other.pk}/cancel/").status_code == 404
    assert Order.objects.get(pk=other.pk).prep_status == "received"


def test_cancel_asks_first_then_refunds_in_full(member_client: Client, member: Member, store: Store) -> None:
    order = placed(member, store)
    ask = member_client.get(f"/orders/{order.pk}/cancel/").content.decode()
    assert f"Cancel order #{order.pk}?" in ask and "NT$410 goes back to your wallet at once." in ask
    assert order.prep_status == "received" and balance(member) == 100_000 - 41_000  # asking changes nothing
    response = member_client.post(f"/orders/{order.pk}/cancel/")
    assert response["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert (order.prep_status, order.status) == ("cancelled", "refunded")
    assert balance(member) == 100_000 and ahead_queue(store=store) == []
    page = member_client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == ["Order cancelled. NT$410 is back in your wallet."]
    html = page.content.decode()
    assert "Cancelled. NT$410 went back to your wallet." in html and "/status/" not in html


def test_a_started_order_cannot_be_cancelled_and_nothing_is_refunded(
    member_client: Client, member: Member, store: Store
) -> None:
    order = placed(member, store)
    ahead_order_advance(order=order, status="preparing")
    assert "it can no longer be cancelled" in member_client.get(f"/orders/{order.pk}/cancel/").content.decode()
    page = member_client.post(f"/orders/{order.pk}/cancel/", follow=True)
    said = [str(m) for m in page.context["messages"]]
    assert said == ["The baristas have started your order; it can no longer be cancelled."]
    order.refresh_from_db()
    assert order.prep_status == "preparing" and balance(member) == 100_000 - 41_000


def test_the_history_lists_orders_with_order_again(member_client: Client, member: Member, store: Store) -> None:
    order = placed(member, store)
    html = member_client.get("/orders/").content.decode()
    card = html.split(f'data-testid="order-{order.pk}"')[1].split("</article>")[0]
    assert "2 × Latte, 1 × Croissant" in card and "NT$410" in card and "Received" in card
    assert f'action="/orders/{order.pk}/again/"' in card


def test_order_again_refills_the_cart_with_the_same_options(
    member_client: Client, member: Member, store: Store
) -> None:
    order = placed(member, store)
    response = member_client.post(f"/orders/{order.pk}/again/")
    assert response["Location"] == f"/order/{store.slug}/cart/"
    lines = member_client.session["ahead_carts"][store.slug]["lines"]
    assert [(line["product"], line["quantity"], line["note"]) for line in lines] == [
        (product("latte").pk, 2, "extra hot"),
        (product("croissant").pk, 1, ""),
    ]
    assert set(lines[0]["modifiers"]) == {option("Large").pk, option("Oat milk").pk}
    assert "Pay NT$410 from wallet" in member_client.get(response["Location"]).content.decode()


def test_order_again_leaves_out_what_is_sold_out_and_says_so(
    member_client: Client, member: Member, store: Store
) -> None:
    order = placed(member, store)
    product_sold_out_set(product=product("croissant"), store=store, sold_out=True)
    page = member_client.post(f"/orders/{order.pk}/again/", follow=True)
    said = [str(m) for m in page.context["messages"]]
    assert said == ["In your cart again: Latte.", "Left out, sold out or no longer on the menu: Croissant."]
    lines = member_client.session["ahead_carts"][store.slug]["lines"]
    assert [line["product"] for line in lines] == [product("latte").pk]
    # An option sold out leaves its item out too (the member chooses again).
    modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=True)
    member_client.post(f"/order/{store.slug}/cart/", {"action": "remove", "line": "0"})
    page = member_client.post(f"/orders/{order.pk}/again/", follow=True)
    assert [str(m) for m in page.context["messages"]] == [
        "Left out, sold out or no longer on the menu: Latte, Croissant."
    ]
