"""When a store takes orders ahead: its hours in its own time zone, a pause
that ends by itself, and the next opening."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from payments.models import Order, Store, StoreHours
from payments.services.ahead import store_ahead_state

pytestmark = pytest.mark.django_db

TAIPEI = ZoneInfo("Asia/Taipei")
WEDNESDAY_NOON = datetime(2026, 3, 4, 12, 0, tzinfo=TAIPEI)


@pytest.fixture
def daan(db: object) -> Store:
    store = Store.objects.create(name="Da'an", slug="daan", time_zone="Asia/Taipei", ahead_enabled=True)
    for day in range(5):
        StoreHours.objects.create(store=store, weekday=day, opens=time(7, 30), closes=time(19))
    StoreHours.objects.create(store=store, weekday=5, opens=time(8, 30), closes=time(12))
    StoreHours.objects.create(store=store, weekday=5, opens=time(13), closes=time(18))
    return store


def test_open_inside_its_hours_with_the_closing_time(daan: Store) -> None:
    state = store_ahead_state(store=daan, now=WEDNESDAY_NOON)
    assert (state.state, state.closes_at) == ("open", datetime(2026, 3, 4, 19, 0, tzinfo=TAIPEI))


def test_closed_at_closing_time_and_says_when_it_opens(daan: Store) -> None:
    evening = WEDNESDAY_NOON.replace(hour=19)
    state = store_ahead_state(store=daan, now=evening)
    assert (state.state, state.next_opening) == ("closed", datetime(2026, 3, 5, 7, 30, tzinfo=TAIPEI))
    saturday_break = datetime(2026, 3, 7, 12, 30, tzinfo=TAIPEI)
    assert store_ahead_state(store=daan, now=saturday_break).next_opening == saturday_break.replace(hour=13, minute=0)
    sunday = datetime(2026, 3, 8, 10, 0, tzinfo=TAIPEI)
    assert store_ahead_state(store=daan, now=sunday).next_opening == datetime(2026, 3, 9, 7, 30, tzinfo=TAIPEI)


def test_hours_are_the_stores_own_time_zone(daan: Store) -> None:
    # 12:00 in Taipei is 04:00 UTC: open, whatever the installation's zone.
    assert store_ahead_state(store=daan, now=WEDNESDAY_NOON.astimezone(ZoneInfo("UTC"))).state == "open"


def test_a_pause_ends_by_itself_and_says_when(daan: Store) -> None:
    daan.ahead_paused_until = WEDNESDAY_NOON + timedelta(minutes=20)
    daan.ahead_pause_reason = "Short of staff"
    state = store_ahead_state(store=daan, now=WEDNESDAY_NOON)
    assert (state.state, state.reason, state.next_opening) == ("paused", "Short of staff", daan.ahead_paused_until)
    assert store_ahead_state(store=daan, now=WEDNESDAY_NOON + timedelta(minutes=21)).state == "open"


def test_a_store_without_order_ahead_is_off(daan: Store) -> None:
    daan.ahead_enabled = False
    assert store_ahead_state(store=daan, now=WEDNESDAY_NOON).state == "off"


def test_the_database_keeps_hours_and_preparation_status_consistent(daan: Store) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreHours.objects.create(store=daan, weekday=2, opens=time(20), closes=time(19))
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(store=daan, channel=Order.Channel.TILL, prep_status=Order.PrepStatus.RECEIVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(store=daan, channel=Order.Channel.AHEAD)
