"""A member's cancel racing a barista's "start", on PostgreSQL with real
threads: exactly one wins, a cancelled order never reaches the queue, and a
started one is never refunded. The ledger and points checks hold after."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from members.models import Member
from payments.models import Account, Order, ProgrammeSettings, Store
from payments.selectors.ahead import ahead_queue
from payments.services.ahead import (
    OrderNotCancellable,
    OrderStatusInvalid,
    ahead_order_advance,
    ahead_order_cancel,
    ahead_order_place,
)
from tests.ahead.conftest import latte
from tests.helpers import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 8
# Enough for every round to be won by "start" (which keeps the money): which
# side wins is up to the scheduler, and on CI "start" has won seven in a row.
BALANCE = ROUNDS * 50_000


def test_cancel_racing_start_exactly_one_wins(store: Store, make_member: Callable[..., Member]) -> None:
    customer = make_member("Mei", balance=BALANCE)
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"velocity_per_minute": 1_000})
    ProgrammeSettings.forget_cached()
    winners: Counter[str] = Counter()
    for _round in range(ROUNDS):
        order = ahead_order_place(member=customer, store=store, lines=[latte()]).order

        def race(i: int, order: Order = order) -> Any:
            if i == 0:
                return ahead_order_cancel(order=Order.objects.get(pk=order.pk), member=customer)
            return ahead_order_advance(order=Order.objects.get(pk=order.pk), status="preparing")

        cancel, start = run_concurrently(2, race, allowed=(OrderNotCancellable, OrderStatusInvalid))
        refused = [isinstance(result, Exception) for result in (cancel, start)]
        assert refused.count(True) == 1, (cancel, start)
        order.refresh_from_db()
        if isinstance(start, Exception):
            winners["cancel"] += 1
            assert (order.prep_status, order.status, order.refunded_amount) == ("cancelled", "refunded", order.total)
        else:
            winners["start"] += 1
            assert (order.prep_status, order.status, order.refunded_amount) == ("preparing", "paid", 0)
            assert not order.refunds.exists()
        assert all(queued.prep_status != "cancelled" for queued in ahead_queue(store=store))
    assert sum(winners.values()) == ROUNDS
    cancelled = Order.objects.filter(channel="ahead", prep_status="cancelled").count()
    started = Order.objects.filter(channel="ahead", prep_status="preparing")
    assert cancelled == winners["cancel"] and started.count() == winners["start"]
    assert Account.objects.get(member=customer).balance == BALANCE - sum(o.total for o in started)
    call_command("check_ledger")
