"""One snapshot for a report's several reads.

A report that sets figures side by side to show they agree (the liability
report: live points lots = members' balances = points entries; wallets =
transfers) reads them in several statements. In autocommit on PostgreSQL
each statement sees the database as of its own start, so a payment
committed between two of them would show a mismatch that is not there, on a
busy afternoon, to an accountant. `one_snapshot()` runs the reads in one
REPEATABLE READ transaction on the database reads go to (the replica inside
`replica_reads()`): every statement sees the same moment. On SQLite one
transaction is already one snapshot.

Inside a transaction that has begun (a caller's, or a test's), its rules
stand: the isolation level of a running transaction cannot change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

from cafe_loyalty.core.replica import reading_alias


@contextmanager
def one_snapshot() -> Iterator[None]:
    alias = reading_alias()
    connection = connections[alias]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
