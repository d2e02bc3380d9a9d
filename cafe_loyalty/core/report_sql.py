"""A report's hand-written statement: the querysets it is built around, and
the cursor it runs on.

Hand-written SQL bypasses the database router, so it asks for the database
reads go to here and now (the replica inside `replica_reads()`). On
PostgreSQL it also turns JIT off for the statement: the planner's estimates
for a report's grouped counts over a period pass JIT's cost thresholds, and
compiling took longer than it saved (about 0.45 s a statement at 100,000
members, the repurchase report; 0.3 s for the offers report's groups). SET
LOCAL holds only inside a transaction, so one is opened on that database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet

from cafe_loyalty.core.replica import reading_alias


def compiled(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    """A queryset's SQL and parameters, to build a statement around: compiled
    for the database it will run on (sql_with_params() compiles for "default")."""
    sql, params = queryset.query.get_compiler(using=reading_alias()).as_sql()
    return sql, list(params)


@contextmanager
def report_cursor() -> Iterator[Any]:
    alias = reading_alias()
    database = connections[alias]
    postgresql = database.vendor == "postgresql"
    with transaction.atomic(using=alias) if postgresql else nullcontext(), database.cursor() as cursor:
        if postgresql:
            cursor.execute("SET LOCAL jit = off")
        yield cursor
