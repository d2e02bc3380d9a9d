"""Reports and nightly jobs may read from a read replica.

With DATABASE_REPLICA_URL set, settings add the database alias "replica" and
this router. Reads go there only inside `replica_reads()` (a context manager
and decorator), which the report views and the nightly compute_* jobs enter
around their reads; every other read, and every write, stays on the primary.
So a request's own session, permissions and anything it has just written are
read where they were written, and only the heavy, lag-tolerant aggregate
reads move. Without the variable there is no "replica" alias and
`replica_reads()` changes nothing.

A replica lags the primary by a moment: figures read there may miss the
last second's sales, which a report or a nightly job can live with and a
payment could not (no payment path enters `replica_reads`)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_replica", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send ORM reads made inside to the replica, when there is one."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_alias() -> str:
    """The alias reads go to here and now (for hand-written SQL that bypasses the router)."""
    return REPLICA if _reading_replica.get() and replica_configured() else DEFAULT_DB_ALIAS


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if _reading_replica.get() and replica_configured() else None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data: a row read on the replica may be
        # related to one on the primary (a report's member, a job's upsert).
        return True
