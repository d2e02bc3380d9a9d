"""The replica router without a second database (SQLite): reads move only
inside replica_reads() and only when a "replica" alias is configured; writes
never move. The PostgreSQL test (test_replica_pg) proves it end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import router

from cafe_loyalty.core import replica
from cafe_loyalty.core.replica import REPLICA, reading_alias, replica_reads
from cafe_loyalty.databases import database_routers
from members.models import Member
from payments.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # As if DATABASE_REPLICA_URL were set: the router, which only asks
    # whether the alias exists; nothing connects to it here.
    settings.DATABASE_ROUTERS = database_routers({"default": {}, REPLICA: {}})
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def test_without_a_replica_nothing_moves() -> None:
    with replica_reads():
        assert router.db_for_read(Order) == "default"
        assert reading_alias() == "default"
    assert router.db_for_write(Order) == "default"


def test_reads_move_only_inside_the_context(with_replica: None) -> None:
    assert router.db_for_read(Order) == "default"
    with replica_reads():
        assert router.db_for_read(Order) == REPLICA
        assert router.db_for_read(Member) == REPLICA
        assert reading_alias() == REPLICA
        # Writes always go to the primary.
        assert router.db_for_write(Order) == "default"
        with replica_reads():
            pass
        assert router.db_for_read(Order) == REPLICA  # a nested exit keeps the outer context
    assert router.db_for_read(Order) == "default"
    assert reading_alias() == "default"


def test_the_context_ends_even_when_the_report_fails(with_replica: None) -> None:
    with pytest.raises(ZeroDivisionError), replica_reads():
        _ = 1 / 0
    assert router.db_for_read(Order) == "default"


def test_a_replica_read_row_may_relate_to_a_primary_one(with_replica: None, make_member: Callable[..., Member]) -> None:
    member = make_member("R")
    member._state.db = REPLICA  # as if a report had read it on the replica
    order = Order()
    order._state.db = "default"
    order.member = member  # Django refuses relations across databases unless a router allows them
    assert order.member_id == member.pk
