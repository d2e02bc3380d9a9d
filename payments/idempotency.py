"""One idempotency mechanism for every money POST (DESIGN.md "Idempotency").

The first request with a key claims it in its own committed row; the handler
then runs and its status and body are stored on the row. A retry with the same
key and body replays the stored answer (`Idempotent-Replayed: true`); with
another body it gets 422; while the first is still running, 409; without a key
(or a blank one), 400 `idempotency_key_missing`; with one over 200 characters
or not printable, 400 `idempotency_key_invalid`. If the handler fails
unexpectedly the claim is released, because its transaction rolled back and
nothing happened.

If the process dies in between (a killed worker), the claim stays unfinished.
The service links the claim to the row it creates (payment, top-up, refund) in
its own transaction, so a retry can tell the two cases apart: a linked row
means the money moved, and the answer is rebuilt from that row and stored; no
row after STALE_AFTER means the transaction never committed, and the claim is
released so the retry runs. Until then, retries get 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from cafe_loyalty.core.problems import Problem, problem_response_for
from payments.models import IdempotencyRecord, Terminal

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
RETENTION = timedelta(hours=48)
# A claim left unfinished this long belongs to a request that died (gunicorn
# kills a worker after its timeout, 30 s by default: keep it below this).
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
    """Run `handler(claim)` once per key. The handler passes the claim to the
    service, which links it to the row it creates (payment, top-up, refund) in
    its own transaction; `rebuild(claim)` answers again from that row when the
    first request committed but died before its answer was stored."""
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
    record = None
    for _attempt in range(2):
        try:
            record = _claim(scope=scope, key=key, fingerprint=fingerprint)
            break
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue  # released meanwhile: claim it again
            if existing.request_hash != fingerprint:
                raise IdempotencyKeyReused("This key was used for a different request; use a new key.") from None
            answer = _answer_for(existing, rebuild)
            if answer is not None:
                return answer
            if existing.created_at > timezone.now() - STALE_AFTER:
                raise IdempotencyKeyInUse("The first request with this key has not finished; retry shortly.") from None
            # Stale and nothing was created: the first request died before its
            # transaction committed. Release the claim and run this one.
            IdempotencyRecord.objects.filter(pk=existing.pk, completed_at__isnull=True).delete()
    if record is None:
        raise IdempotencyKeyInUse("The first request with this key has not finished; retry shortly.")

    try:
        response = handler(record)
    except Problem as exc:
        # Refusals are answers too: a retry must see the same refusal, not a
        # second attempt that might now succeed with the same key.
        response = problem_response_for(exc)
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response
    _store(record, response)
    return response


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
    IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).update(
        response_status=response.status_code, response_body=_json_safe(response.data), completed_at=timezone.now()
    )


def _claim(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord:
    """Insert the claim row, committed at once. Outside a transaction (a real
    request) the single INSERT commits by itself; inside one (tests that wrap
    each case in a transaction) a savepoint keeps a duplicate key from
    breaking the surrounding transaction."""
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=fingerprint)
    return IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=fingerprint)


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
