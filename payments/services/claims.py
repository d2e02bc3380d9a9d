"""Taking an API request's Idempotency-Key inside the money service's own
transaction (see payments.idempotency for the whole mechanism).

The claim row is the first write of the transaction that moves the money, so
the key and the money commit together or not at all: one commit per request,
and a request whose worker dies leaves nothing behind. On PostgreSQL the
claim is held, while that transaction runs, by a transaction-level advisory
lock on the key: a retry meanwhile finds the lock taken and is told the first
request is still running; once the worker dies PostgreSQL ends its session,
the lock is gone and the next retry runs at once."""

from __future__ import annotations

import hashlib

from django.db import connection, transaction
from django.utils import timezone

from payments.models import IdempotencyRecord


class ClaimTaken(Exception):  # noqa: N818 - a signal to payments.idempotency, not an error
    """Another request holds this key now, or has already used it."""


def claim_lock_id(*, scope: str, key: str) -> int:
    """The advisory lock number of a key (64-bit, signed as PostgreSQL wants)."""
    digest = hashlib.sha256(f"{scope}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_CLAIM_SQL_POSTGRESQL = """
INSERT INTO {table} (scope, key, request_hash, created_at) SELECT %s, %s, %s, %s
WHERE pg_try_advisory_xact_lock(%s) ON CONFLICT (scope, key) DO NOTHING RETURNING id
"""
_CLAIM_SQL = """
INSERT INTO {table} (scope, key, request_hash, created_at) VALUES (%s, %s, %s, %s)
ON CONFLICT (scope, key) DO NOTHING RETURNING id
"""


def claim_take(record: IdempotencyRecord | None) -> None:
    """Insert the claim `record` (unsaved, made by payments.idempotency) as the
    caller's transaction's first write, or raise ClaimTaken. A record that is
    already saved (a money form's key, see form_claim) or None is left alone."""
    if record is None or record.pk is not None:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_take must run inside the money service's transaction")
    values = [record.scope, record.key, record.request_hash, record.created_at or timezone.now()]
    if connection.vendor == "postgresql":
        sql = _CLAIM_SQL_POSTGRESQL
        values.append(claim_lock_id(scope=record.scope, key=record.key))
    else:
        # SQLite runs one writer at a time: no request can be running beside this one.
        sql = _CLAIM_SQL
        values[3] = connection.ops.adapt_datetimefield_value(values[3])
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=IdempotencyRecord._meta.db_table), values)
        row = cursor.fetchone()
    if row is None:
        raise ClaimTaken
    record.pk = row[0]
    record._state.adding = False
