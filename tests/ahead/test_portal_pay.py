"""Paying for an order ahead from the portal's cart: the money moves once,
the order joins the queue, a double tap orders once, and every refusal is
said on the cart with nothing charged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member
from payments.models import Order, Payment, ProgrammeSettings, Store
from payments.selectors.ahead import ahead_queue
from payments.services.ahead import modifier_sold_out_set, product_sold_out_set, store_ahead_pause, store_zone
from payments.services.risk import wallet_freeze
from tests.ahead.conftest import option, product
from tests.ahead.portal import add_to_cart, balance, cart_key, fund, pay

pytestmark = pytest.mark.django_db


def test_paying_moves_the_money_queues_the_order_and_empties_the_cart(
    member_client: Client, member: Member, store: Store
) -> None:
    fund(member)
    add_to_cart(member_client, store, "latte", "Large", "Oat milk", "Extra shot", quantity=2, note="extra hot")
    add_to_cart(member_client, store, "croissant")
    response = pay(member_client, store)
    order = Order.objects.get(member=member)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert (order.channel, order.status, order.prep_status, order.total) == ("ahead", "paid", "received", 45_000)
    assert balance(member) == 100_000 - 45_000
    assert ahead_queue(store=store) == [order]
    line = order.lines.get(product__sku="latte")
    assert (line.quantity, line.note) == (2, "extra hot")
    assert set(line.modifiers.values_list("name_en", flat=True)) == {"Large", "Oat milk", "Extra shot"}
    assert member_client.session["ahead_carts"][store.slug]["lines"] == []
    page = member_client.get(response["Location"]).content.decode()
    assert "Ordered and paid NT$450." in page and "Received" in page


def test_a_pickup_slot_is_kept_on_the_order(member_client: Client, member: Member, store: Store) -> None:
    fund(member)
    add_to_cart(member_client, store)
    pay(member_client, store, pickup="slot", pickup_time="19:30")
    order = Order.objects.get(member=member)
    assert order.pickup_at is not None
    assert order.pickup_at.astimezone(store_zone(store)).strftime("%H:%M") == "19:30"


def test_a_double_submit_with_the_same_key_orders_once(member_client: Client, member: Member, store: Store) -> None:
    fund(member)
    add_to_cart(member_client, store)
    key = cart_key(member_client, store)
    first = pay(member_client, store, key=key)
    # The second tap's session still held the cart (sent before the first came back).
    add_to_cart(member_client, store)
    second = pay(member_client, store, key=key)
    order = Order.objects.get(member=member)
    assert first["Location"] == second["Location"] == f"/orders/{order.pk}/"
    assert balance(member) == 100_000 - order.total
    # An old form resent later (its cart ordered) shows the same order too.
    third = pay(member_client, store, key=key)
    assert third["Location"] == f"/orders/{order.pk}/" and Order.objects.count() == 1


def test_the_same_key_after_a_refusal_pays_once_the_cart_is_fixed(
    member_client: Client, member: Member, store: Store
) -> None:
    fund(member)
    product_sold_out_set(product=product("croissant"), store=store, sold_out=True)
    add_to_cart(member_client, store, "latte")
    cart = member_client.session["ahead_carts"]
    cart[store.slug]["lines"].append({"product": product("croissant").pk, "modifiers": [], "note": "", "quantity": 1})
    session = member_client.session
    session["ahead_carts"] = cart
    session.save()
    key = cart_key(member_client, store)
    refused = pay(member_client, store, key=key)
    assert refused["Location"] == f"/order/{store.slug}/cart/" and not Order.objects.exists()
    member_client.post(f"/order/{store.slug}/cart/", {"action": "remove", "line": "1"})
    assert pay(member_client, store, key=key)["Location"].startswith("/orders/")
    assert Order.objects.get(member=member).status == "paid"


REFUSALS = {
    "paused": "has paused order ahead until",
    "closed": "is closed",
    "sold_out": "Latte is sold out at Store ahead.",
    "option_sold_out": "Oat milk is sold out at Store ahead; choose another Milk.",
    "pickup_past": "That pickup time has passed; choose a later one.",
    "pickup_after_closing": "is not open at that pickup time.",
    "insufficient_funds": "Your wallet holds NT$100, not enough for this order. Top up, then pay.",
    "limit": "This order would pass your spending limit.",
    "frozen": "Your wallet is frozen. Unfreeze it under Limits & freeze, then pay.",
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_is_said_on_the_cart_and_charges_nothing(
    member_client: Client, member: Member, store: Store, case: str
) -> None:
    fund(member, 100_000 if case != "insufficient_funds" else 10_000)
    add_to_cart(member_client, store, "latte", "Oat milk")
    now = timezone.now()
    fields = {}
    if case == "paused":
        store_ahead_pause(store=store, until=now + timedelta(minutes=30), reason="Two baristas off sick")
    elif case == "closed":
        store.hours.all().delete()
    elif case == "sold_out":
        product_sold_out_set(product=product("latte"), store=store, sold_out=True)
    elif case == "option_sold_out":
        modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=True)
    elif case == "pickup_past":
        fields = {
            "pickup": "slot",
            "pickup_time": (now - timedelta(hours=1)).astimezone(store_zone(store)).strftime("%H:%M"),
        }
    elif case == "pickup_after_closing":
        fields = {"pickup": "slot", "pickup_time": "21:00"}
    elif case == "limit":
        from payments.models import Account

        Account.objects.filter(member=member).update(daily_limit=5_000)
    elif case == "frozen":
        wallet_freeze(
            member=member, reason="lost phone", by_staff=False, keep_session_key=member_client.session.session_key
        )
    before = balance(member)
    response = pay(member_client, store, **fields)
    assert response.status_code == 302 and response["Location"] == f"/order/{store.slug}/cart/"
    page = member_client.get(response["Location"])
    said = [str(message) for message in page.context["messages"]]
    assert len(said) == 1 and REFUSALS[case] in said[0], said
    assert balance(member) == before
    assert not Order.objects.filter(status="paid").exists() and not Payment.objects.exists()
    assert member_client.session["ahead_carts"][store.slug]["lines"], "the cart is kept to fix and pay again"


def test_above_the_no_confirmation_limit_the_member_approves_then_sees_the_order(
    member_client: Client, member: Member, store: Store
) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 10_000})
    ProgrammeSettings.forget_cached()
    fund(member)
    add_to_cart(member_client, store)  # NT$135, above NT$100
    response = pay(member_client, store)
    payment = Payment.objects.get(member=member)
    assert response["Location"] == f"/wallet/confirm/{payment.pk}/"
    order = Order.objects.get(member=member)
    assert order.status == "open" and ahead_queue(store=store) == []
    waiting = member_client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/wallet/confirm/{payment.pk}/"' in waiting
    approved = member_client.post(f"/wallet/confirm/{payment.pk}/", {"decision": "approve"})
    assert approved["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.status == "paid" and ahead_queue(store=store) == [order]
    assert balance(member) == 100_000 - 13_500
