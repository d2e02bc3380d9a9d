"""A worker killed with SIGKILL in the middle of a payment, on PostgreSQL.

The payment runs in a child process (its own database session, as a gunicorn
worker has) that stops inside the payment's transaction, or just after its
commit; the test then kills it. A retry with the same Idempotency-Key must
resolve within 2 s of the death: a fresh run if nothing committed, the first
answer if the payment did; never a second charge."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Account, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
RESOLVE_WITHIN_S = 2.0

# The child: pays once with the test's terminal key and Idempotency-Key, and
# stops for good at `where` (inside the transaction, or after the commit),
# saying so on stdout, until it is killed.
CHILD = """
import json, sys, time
import django
django.setup()
from rest_framework.test import APIClient
import payments.idempotency, payments.services.orders.tenders as tenders

where, key, idempotency_key, body = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

def stop(real):
    def stopped(*args, **kwargs):
        if where == "after_commit":
            sys.stdout.write("stopped\\n"); sys.stdout.flush(); time.sleep(600)
        result = real(*args, **kwargs)
        sys.stdout.write("stopped\\n"); sys.stdout.flush(); time.sleep(600)
        return result
    return stopped

if where == "in_transaction":
    tenders.order_settle_locked = stop(tenders.order_settle_locked)
else:
    payments.idempotency._store = stop(payments.idempotency._store)
api = APIClient()
api.credentials(HTTP_AUTHORIZATION="Bearer " + key)
api.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY=idempotency_key)
"""


def _child(where: str, key: str, idempotency_key: str, body: dict[str, Any]) -> subprocess.Popen[str]:
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "CAFE_TESTING": "true", "DATABASE_POOL": "false"}
    env["DJANGO_SETTINGS_MODULE"] = "cafe_loyalty.settings"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, where, key, idempotency_key, json.dumps(body)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # blocks until the child is stopped where asked
    assert line.strip() == "stopped", line
    return child


def _retry_until_resolved(api: APIClient, body: dict[str, Any], idempotency_key: str) -> tuple[Any, float]:
    started = time.monotonic()
    while True:
        response = api.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY=idempotency_key)
        waited = time.monotonic() - started
        if response.status_code != 409 or waited > 10:
            return response, waited
        assert response.json()["code"] == "idempotency_key_in_use"
        time.sleep(0.05)


@pytest.mark.parametrize("where", ["in_transaction", "after_commit"])
def test_a_retry_after_its_worker_was_killed_resolves_at_once(
    api: APIClient,
    till: tuple[Any, str],
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
    where: str,
) -> None:
    member = make_member(balance=50_000)
    body = {"payment_code": code_for(member), "amount": 12_000}
    child = _child(where, till[1], "k-killed", body)
    try:
        first = api.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-killed")
        if where == "in_transaction":
            # The first request is alive and holds the key: the contract's 409.
            assert first.status_code == 409 and first.json()["code"] == "idempotency_key_in_use"
        else:
            # It committed: the answer is rebuilt from its payment at once.
            assert first.status_code == 201 and first["Idempotent-Replayed"] == "true"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    retry, waited = _retry_until_resolved(api, body, "k-killed")
    assert waited <= RESOLVE_WITHIN_S, f"a retry was told idempotency_key_in_use for {waited:.1f} s"
    assert retry.status_code == 201, retry.content
    assert retry.json()["wallet_balance"] == 50_000 - 12_000
    if where == "after_commit":
        assert retry["Idempotent-Replayed"] == "true" and retry.json()["id"] == first.json()["id"]
    assert Payment.objects.filter(idempotency_record__key="k-killed").count() == 1
    assert Account.objects.get(member=member).balance == 50_000 - 12_000
    call_command("check_ledger")
