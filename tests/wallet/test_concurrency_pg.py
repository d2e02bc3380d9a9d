"""Concurrency on PostgreSQL with real threads, each on its own connection.
After each scenario the ledger invariants must hold (check_ledger)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Account, PaymentCode, ProgrammeSettings, Transfer
from payments.services.codes import payment_code_issue
from tests.helpers import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def statuses(responses: list[Any]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def test_twenty_payments_with_one_code_exactly_one_succeeds(
    till: tuple[Any, str], make_member: Callable[..., Member]
) -> None:
    assert connection.vendor == "postgresql"
    member = make_member(balance=100_000)
    code = payment_code_issue(member=member).code

    def pay(i: int) -> Any:
        return client_for(till[1]).post(
            "/api/v1/payments",
            {"payment_code": code, "amount": 1_000},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"same-code-{i}",
        )

    counts = statuses(run_concurrently(20, pay))
    assert counts == Counter({201: 1, 409: 19})
    assert Account.objects.get(member=member).balance == 99_000
    call_command("check_ledger")


def test_fifty_payments_from_a_wallet_that_covers_ten_exactly_ten_succeed(
    till: tuple[Any, str], make_member: Callable[..., Member]
) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"velocity_per_minute": 1_000})
    member = make_member(balance=10_000)
    codes = [payment_code_issue(member=member).code for _ in range(50)]
    # The five-live-codes rule retired most of them; for this test every code is live.
    PaymentCode.objects.filter(member=member).update(retired_at=None)

    def pay(i: int) -> Any:
        return client_for(till[1]).post(
            "/api/v1/payments",
            {"payment_code": codes[i], "amount": 1_000},
            format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )

    responses = run_concurrently(50, pay)
    counts = statuses(responses)
    assert counts == Counter({201: 10, 402: 40}), [r.content for r in responses if r.status_code not in (201, 402)]
    assert Account.objects.get(member=member).balance == 0
    assert Transfer.objects.filter(kind="payment").count() == 10
    call_command("check_ledger")


def test_twenty_retries_with_one_idempotency_key_make_one_transfer(
    till: tuple[Any, str], make_member: Callable[..., Member]
) -> None:
    member = make_member(balance=50_000)
    code = payment_code_issue(member=member).code

    def pay(i: int) -> Any:
        return client_for(till[1]).post(
            "/api/v1/payments", {"payment_code": code, "amount": 2_500}, format="json", HTTP_IDEMPOTENCY_KEY="retry-key"
        )

    responses = run_concurrently(20, pay)
    counts = statuses(responses)
    assert set(counts) <= {201, 409}
    assert counts[201] >= 1
    succeeded_ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(succeeded_ids) == 1
    assert all(r.json()["code"] == "idempotency_key_in_use" for r in responses if r.status_code == 409)
    assert Transfer.objects.filter(kind="payment").count() == 1
    assert Account.objects.get(member=member).balance == 47_500
    call_command("check_ledger")


def test_concurrent_top_ups_and_refunds_keep_the_ledger(
    till: tuple[Any, str], make_member: Callable[..., Member]
) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"velocity_per_minute": 1_000})
    members = [make_member(balance=20_000) for _ in range(4)]
    payment_ids = []
    for member in members:
        response = client_for(till[1]).post(
            "/api/v1/payments",
            {"payment_code": payment_code_issue(member=member).code, "amount": 8_000},
            format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        payment_ids.append(response.json()["id"])

    def work(i: int) -> Any:
        client = client_for(till[1])
        if i % 2:
            return client.post(
                f"/api/v1/payments/{payment_ids[i % 4]}/refunds",
                {"amount": 1_000},
                format="json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
        return client.post(
            "/api/v1/topups",
            {"member": members[i % 4].card_number, "amount": 10_000, "tender": "cash"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )

    counts = statuses(run_concurrently(24, work))
    assert counts == Counter({201: 24})
    # 4 members × (20,000 − 8,000) + 12 top-ups × 10,000 + 12 refunds × 1,000
    assert sum(Account.objects.get(member=m).balance for m in members) == 48_000 + 120_000 + 12_000
    call_command("check_ledger")
