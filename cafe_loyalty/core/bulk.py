"""Writing a nightly job's rows in one go.

The ORM's bulk_create with update_conflicts spends most of its time building
SQL in Python (five seconds for 20,000 rows, more than the query that
computed them), and one INSERT a row pays a round trip each. On PostgreSQL
`upsert_rows` COPYs the rows into a temporary table and upserts from it in
one statement; on SQLite (an embedded database: no round trips to save) it
runs one upsert statement over all rows. Call it inside a transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


def upsert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, conflict: Sequence[str]) -> None:
    """Insert `rows` (values in `columns`' order) into `table`; a row whose
    `conflict` columns match an existing row replaces that row's other columns."""
    # Names come from the calling code (never from input) and are quoted all
    # the same; hence the S608 exemptions below.
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in conflict)
    on_conflict = f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET {updates}"
    target, staging = quote(table), quote(f"bulk_{table}")
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(columns))
            insert = f"INSERT INTO {target} ({names}) VALUES ({marks}) {on_conflict}"  # noqa: S608
            cursor.executemany(insert, list(rows))
            return
        # The staging table has the target's column types and nothing else
        # (no keys, no constraints), and goes with the transaction.
        create = f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {target} WITH NO DATA"  # noqa: S608
        cursor.execute(create)
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)
        cursor.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging} {on_conflict}")  # noqa: S608
        cursor.execute(f"DROP TABLE {staging}")
