"""Helpers for the order-ahead portal tests: a signed-in member with money,
and the portal's forms as a phone sends them."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from members.models import Member
from payments.models import Account, Store
from payments.services.top_ups import wallet_top_up
from tests.ahead.conftest import option, product


def fund(member: Member, amount: int = 100_000) -> Member:
    wallet_top_up(member=member, amount=amount, tender="cash")
    return member


def balance(member: Member) -> int:
    return Account.objects.get(member=member).balance


def add_to_cart(
    client: Client, store: Store, sku: str = "latte", *options: str, quantity: int = 1, note: str = ""
) -> Any:
    """The item sheet's form: one radio field per option group."""
    data: dict[str, Any] = {"quantity": str(quantity), "note": note}
    for number, name in enumerate(options):
        data[f"group-{number}"] = str(option(name).pk)
    return client.post(f"/order/{store.slug}/items/{product(sku).pk}/", data)


def cart_key(client: Client, store: Store) -> str:
    html = client.get(f"/order/{store.slug}/cart/").content.decode()
    found = re.search(r'name="key" value="([0-9a-f]+)"', html)
    assert found is not None, "the cart has a pay form with its key"
    return found.group(1)


def pay(client: Client, store: Store, key: str | None = None, **fields: str) -> Any:
    data = {"key": key or cart_key(client, store), "pickup": "asap", **fields}
    return client.post(f"/order/{store.slug}/cart/pay/", data)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
