"""Fixtures for recommendations: the demo menu at an order-ahead store, and
paid orders written straight to the tables (the job reads only orders and
their lines; how they were paid is other tests' business)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from members.models import Member
from members.services import consent_record
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import ModifierOption, Order, OrderLine, Product, Store
from payments.recommendations.compute import in_holdout
from tests.ahead.conftest import open_store

Item = str | tuple[str, list[str]]  # "croissant", or ("latte", ["Large", "Oat milk"])


@pytest.fixture
def store(db: Any) -> Store:
    load_menu_demo()
    return open_store()


def product(sku: str) -> Product:
    return Product.objects.get(sku=sku)


def option(name: str) -> ModifierOption:
    return ModifierOption.objects.get(name_en=name)


def bought(member: Member, store: Store, *items: Item, at: datetime | None = None) -> Order:
    """One paid order of these items (each its own line)."""
    at = at or timezone.now() - timedelta(days=1)
    order = Order.objects.create(store=store, member=member, status=Order.Status.PAID, created_at=at, paid_at=at)
    for item in items:
        sku, names = (item, []) if isinstance(item, str) else item
        made = product(sku)
        options = [option(name) for name in names]
        line = OrderLine.objects.create(
            order=order, product=made, unit_price=made.price + sum(o.price for o in options)
        )
        line.modifiers.set(options)
    return order


def agree(member: Member, *, granted: bool = True) -> Member:
    consent_record(member=member, channel="email", purpose="personalised", granted=granted)
    return member


@pytest.fixture
def shown_member(make_member: Callable[..., Member]) -> Callable[..., Member]:
    """A member who agreed to personalised offers and is not in the holdout."""

    def make(name: str = "Mei", **fields: Any) -> Member:
        member = make_member(name, **fields)
        while in_holdout(member.pk):  # one in ten: make another (the first stays, unused)
            member = make_member(name, **fields)
        return agree(member)

    return make


@pytest.fixture
def manager_client(client: Any, manager_user: Any) -> Any:
    client.force_login(manager_user)
    return client
