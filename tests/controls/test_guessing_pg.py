"""Guessing on PostgreSQL with real threads: a terminal firing unknown codes
all at once is stopped just past the limit, and managers get one alert."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from cafe_loyalty.core.problems import Problem
from members.selectors import points_problems
from payments.models import Payment, RiskAlert, Store
from payments.selectors.ledger import ledger_problems
from payments.services.guessing import GUESS_LIMIT
from payments.services.terminals import terminal_create
from tests.helpers import run_concurrently
from tests.wallet.test_concurrency_pg import client_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def guess(key: str) -> Any:
    code = "9" + "".join(secrets.choice("0123456789") for _ in range(17))
    return client_for(key).post(
        "/api/v1/payments",
        {"payment_code": code, "amount": 1_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )


def test_a_burst_of_guesses_is_stopped_and_alerted_once() -> None:
    store = Store.objects.create(name="Da'an", slug="daan")
    terminal, key = terminal_create(store=store, name="Kiosk")
    first = run_concurrently(THREADS, lambda _i: guess(key), allowed=(Problem,))
    statuses = sorted(r.status_code for r in first)
    # Each guess was answered (no error); those that started before the stop
    # were looked up, the rest waited; at least the limit were looked up.
    assert set(statuses) <= {404, 429} and statuses.count(404) >= GUESS_LIMIT, statuses
    second = run_concurrently(THREADS, lambda _i: guess(key), allowed=(Problem,))
    assert {r.status_code for r in second} == {429}
    assert all(r.json()["code"] == "too_many_failures" and r["Retry-After"] for r in second)
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.GUESSING, terminal=terminal).count() == 1
    assert not Payment.objects.exists()
    assert ledger_problems() == [] and points_problems() == []
