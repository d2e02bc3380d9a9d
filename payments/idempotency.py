"""One idempotency mechanism for every money POST (DESIGN.md "Idempotency").

The service that moves the money takes the key as the first write of its own
transaction (payments.services.claims.claim_take): the claim row commits with
the payment, top-up or refund it is linked to, or not at all. The answer is
then stored on the row. A retry with the same key and body replays the stored
answer (`Idempotent-Replayed: true`); with another body it gets 422; while the
first is still running, 409; without a key (or a blank one), 400
`idempotency_key_missing`; with one over 200 characters or not printable, 400
`idempotency_key_invalid`. A refusal is stored as the
answer too, so a retry sees the same refusal.

On PostgreSQL the running request holds the key with a transaction-level
advisory lock: if its worker dies, PostgreSQL ends its session, the
transaction rolls back with the claim, the lock is gone, and the next retry
runs at once. If the worker dies after the commit but before the answer is
stored, the retry finds the claim linked to the row the service made and
rebuilds the answer from it (`rebuild`). The stored answer is written without
waiting for the disk (asynchronous commit): if it is lost in a crash, it is
rebuilt the same way.

A claim row with no answer and nothing linked can only be one left by an
older version (claims were once committed on their own): it is released once
STALE_AFTER has passed, and refused as in flight before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from cafe_loyalty.core.problems import Problem, problem_response_for
from payments.models import IdempotencyRecord, Terminal
from payments.services.claims import ClaimTaken, claim_lock_id

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
RETENTION = timedelta(hours=48)
# A claim row left with no answer and nothing linked this long is released
# (see the module docstring; gunicorn's timeout, 30 s, stays below it).
STALE_AFTER = timedelta(seconds=60)


class IdempotencyKeyMissing(Problem):
    status, code, title = 400, "idempotency_key_missing", "Idempotency-Key header required"


class IdempotencyKeyInvalid(Problem):
    status, code, title = 400, "idempotency_key_invalid", "Idempotency-Key header is not a usable key"


class IdempotencyKeyReused(Problem):
    status, code, title = 422, "idempotency_key_reused", "Idempotency-Key reused with a different request"


class IdempotencyKeyInUse(Problem):
    status, code, title = 409, "idempotency_key_in_use", "A request with this Idempotency-Key is still running"


def caller_scope(request: Request) -> str:
    if isinstance(request.auth, Terminal):
        return f"terminal:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_fingerprint(request: Request, path: str) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except TypeError:
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {path}\n{body}".encode()).hexdigest()


Handler = Callable[[IdempotencyRecord], Response]
Rebuild = Callable[[IdempotencyRecord], "Response | None"]


def run_idempotent(request: Request, handler: Handler, *, rebuild: Rebuild) -> Response:
    """Run `handler(claim)` once per key. The handler passes the (unsaved)
    claim to the service, which takes it first thing in its transaction and
    links it to the row it creates (payment, top-up, refund); `rebuild(claim)`
    answers again from that row when the first request committed but died
    before its answer was stored."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise IdempotencyKeyMissing(f"Send an {HEADER} header (a random UUID per logical request).")
    # A key that is there but unusable is not a missing one: the caller must
    # hear which mistake they made.
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalid(f"The {HEADER} header is at most {MAX_KEY_LENGTH} characters.")
    if not key.isprintable():
        # Control characters cannot be stored (PostgreSQL refuses NUL in text).
        raise IdempotencyKeyInvalid(f"The {HEADER} header must be printable text, like a UUID.")
    scope = caller_scope(request)
    fingerprint = request_fingerprint(request, request.path)
    for _attempt in range(2):
        record = IdempotencyRecord(scope=scope, key=key, request_hash=fingerprint, created_at=timezone.now())
        try:
            response = handler(record)
        except ClaimTaken:
            # Rolled back before anything moved: answer from the first request.
            answer = _answer_existing(scope=scope, key=key, fingerprint=fingerprint, rebuild=rebuild)
            if answer is not None:
                return answer
            continue  # a dead claim was released: run again
        except Problem as exc:
            # Refusals are answers too: a retry must see the same refusal, not a
            # second attempt that might now succeed with the same key.
            response = problem_response_for(exc)
        # An unexpected failure is not stored. Inside the service's transaction
        # it rolled the claim back with everything else; after the commit (an
        # on-commit hook, say) the claim stays linked to what was made, and a
        # retry gets the answer rebuilt from it, never a second run.
        if response.status_code >= 500:
            return response
        _store(record, response)
        return response
    raise IdempotencyKeyInUse("The first request with this key has not finished; retry shortly.")


def _answer_existing(*, scope: str, key: str, fingerprint: str, rebuild: Rebuild) -> Response | None:
    """After ClaimTaken: the first request's answer, 422 for another body,
    409 while it runs; None when a dead claim was released."""
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is None:
        # Nothing committed: the key's lock is held by a request still running.
        raise IdempotencyKeyInUse("The first request with this key has not finished; retry shortly.")
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused("This key was used for a different request; use a new key.")
    answer = _answer_for(existing, rebuild)
    if answer is not None:
        return answer
    if existing.created_at > timezone.now() - STALE_AFTER:
        raise IdempotencyKeyInUse("The first request with this key has not finished; retry shortly.")
    # Stale, with nothing created: its request died before its transaction
    # committed. Release the claim and run this one.
    IdempotencyRecord.objects.filter(pk=existing.pk, completed_at__isnull=True).delete()
    return None


def _answer_for(existing: IdempotencyRecord, rebuild: Rebuild) -> Response | None:
    """The stored answer; or, for a claim whose request committed and then died
    before storing it, the answer rebuilt from what it created; else None."""
    if existing.completed_at is None:
        rebuilt = rebuild(existing)
        if rebuilt is None:
            return None
        _store(existing, rebuilt)
        existing.refresh_from_db()
    replay = Response(existing.response_body, status=existing.response_status)
    if existing.response_status and existing.response_status >= 400:
        replay.content_type = "application/problem+json"
    replay["Idempotent-Replayed"] = "true"
    return replay


def _store(record: IdempotencyRecord, response: Response) -> None:
    """Put the answer on the claim; when the claim went with a rolled-back
    transaction (a refusal) or was never taken (invalid input), write it as a
    new, answered claim."""
    body, now = _json_safe(response.data), timezone.now()
    if record.pk is not None and _answer_claim(record.pk, response.status_code, body, now):
        return
    lock_id = claim_lock_id(scope=record.scope, key=record.key)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Held to the commit: no request with this key runs meanwhile.
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
                    if not cursor.fetchone()[0]:
                        return  # a retry took the key this instant; it stores its own answer
            IdempotencyRecord.objects.create(
                scope=record.scope,
                key=record.key,
                request_hash=record.request_hash,
                created_at=record.created_at,
                response_status=response.status_code,
                response_body=body,
                completed_at=now,
            )
    except IntegrityError:
        pass  # a retry with this key got there first and stored its own answer


_ANSWER_SET = "UPDATE {table} SET response_status = %s, response_body = %s, completed_at = %s"
_ANSWER_WHERE = "WHERE id = %s AND completed_at IS NULL"
# PostgreSQL, outside a transaction: the same UPDATE, its commit not waiting for the disk.
# Only the two constants above are formatted in (hence noqa: S608).
_ANSWER_QUICK = (
    f"WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) {_ANSWER_SET} FROM quick {_ANSWER_WHERE}"  # noqa: S608, E501
)


def _answer_claim(pk: int, status: int, body: Any, now: Any) -> bool:
    """Store the answer on a committed claim; False when there is no such row.
    On PostgreSQL this commit does not wait for the disk: the claim and what
    it is linked to are already durable, and a lost answer is rebuilt."""
    quick = connection.vendor == "postgresql" and not connection.in_atomic_block
    sql = _ANSWER_QUICK if quick else f"{_ANSWER_SET} {_ANSWER_WHERE}"
    params: list[Any] = [status, json.dumps(body), connection.ops.adapt_datetimefield_value(now), pk]
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=IdempotencyRecord._meta.db_table), params)
        return cursor.rowcount > 0


def form_claim(*, user: Any, key: str, source: str) -> IdempotencyRecord | None:
    """Claim the one-time key a signed-in user's money form carries (portal
    top-up, till top-up, till cash-out): a double submit or a browser retry
    finds it taken and gets None, so nothing happens twice. Pass the claim to
    the service; delete it if the action is refused, so the same form can be
    sent again once fixed."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                scope=f"user:{user.pk}", key=key, request_hash=source, completed_at=timezone.now()
            )
    except IntegrityError:
        return None


def _json_safe(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def idempotency_records_purge() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return deleted
