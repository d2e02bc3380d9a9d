"""Fixtures for order ahead: a store open around the clock's middle (so a
test never meets closing time), the demo menu, and a member with money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.utils import timezone

from members.models import Member
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import ModifierOption, Product, Store, StoreHours
from payments.services.ahead import AheadLine


def midday_zone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is about noon now: hours of 08:00–20:00
    there are open for the next several hours whenever the test runs."""
    hour = (now or timezone.now()).astimezone(UTC).hour
    offset = 12 - hour  # -11 … +12
    # Etc/GMT names have the sign inverted (Etc/GMT-8 is UTC+8).
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def open_store(*, slug: str = "ahead", zone: str | None = None, **fields: Any) -> Store:
    store = Store.objects.create(
        name=f"Store {slug}", slug=slug, time_zone=zone or midday_zone(), ahead_enabled=True, **fields
    )
    StoreHours.objects.bulk_create(
        StoreHours(store=store, weekday=day, opens=time(8), closes=time(20)) for day in range(7)
    )
    return store


@pytest.fixture
def store(db: Any) -> Store:
    load_menu_demo()
    return open_store()


@pytest.fixture
def customer(make_member: Callable[..., Member]) -> Member:
    return make_member("Mei", balance=100_000)


def product(sku: str) -> Product:
    return Product.objects.get(sku=sku)


def option(name: str) -> ModifierOption:
    return ModifierOption.objects.get(name_en=name)


def latte(quantity: int = 1, *options: str, note: str = "") -> AheadLine:
    return AheadLine(
        product=product("latte"),
        quantity=quantity,
        modifier_ids=tuple(option(name).pk for name in options),
        note=note,
    )
