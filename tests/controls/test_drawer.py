"""Money controls: what is in the drawer is a shift manager's to change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from payments.models import CashMovement, Shift, Store, StoreStaff
from payments.services.shifts import shift_open

pytestmark = pytest.mark.django_db

REFUSED = "A shift manager opens and closes shifts and moves cash in or out of the drawer."


@pytest.fixture
def store(barista_user: Any) -> Store:
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    return store


def test_a_barista_alone_cannot_open_a_shift_move_cash_or_close_it(
    client: Client, store: Store, barista_user: Any, shift_manager_user: Any
) -> None:
    client.force_login(barista_user)
    opened = client.post("/pos/shift/", {"action": "open", "amount": "1000"})
    assert REFUSED in opened.content.decode()
    assert not Shift.objects.exists()

    shift = shift_open(store=store, user=shift_manager_user, opening_float=100_000)
    moved = client.post("/pos/shift/", {"action": "cash", "amount": "-500", "reason": "taxi"})
    assert REFUSED in moved.content.decode()
    assert not CashMovement.objects.exists()
    closed = client.post("/pos/shift/", {"action": "close", "amount": "1000"})
    assert REFUSED in closed.content.decode()
    shift.refresh_from_db()
    assert shift.closed_at is None


def test_a_shift_manager_moves_cash_and_closes(client: Client, store: Store, shift_manager_user: Any) -> None:
    StoreStaff.objects.create(user=shift_manager_user, store=store, role="Shift manager")
    client.force_login(shift_manager_user)
    client.post("/pos/shift/", {"action": "open", "amount": "1000"})
    client.post("/pos/shift/", {"action": "cash", "amount": "-200", "reason": "milk run"})
    closed = client.post("/pos/shift/", {"action": "close", "amount": "800"})
    shift = Shift.objects.get()
    assert closed.status_code == 302 and shift.closed_at is not None
    assert (shift.expected_cash, shift.counted_cash) == (80_000, 80_000)
