"""Copies of one phone's codes synced by two tills at the same instant, and a
wallet frozen while a till syncs (PostgreSQL, real threads): the hold pays
once, the loss stays within the allowance, and the ledger holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from payments.models import Account, OfflineCertificate, RiskAlert, Store, Transfer
from payments.selectors.wallet import wallet_balance
from payments.services.risk import wallet_freeze
from tests.helpers import run_concurrently
from tests.offline.conftest import Phone, sale, terminal_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_tills_syncing_copies_at_once_lose_at_most_the_allowance(
    shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    """Each offline till let the copied codes through up to the allowance (as
    the till's own check does); both sync at the same instant."""
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member, allowance=20_000)
    clients = [terminal_client(shop, "Till A"), terminal_client(shop, "Till B")]
    lines = [{"sku": "latte", "quantity": 1, "unit_price": 10_000}]

    def queue() -> list[dict[str, Any]]:
        return [
            sale(lines=lines, tenders=[{"kind": "offline_wallet", "amount": 10_000, "code": phone.code()}])
            for _ in range(2)
        ]

    queues = [queue(), queue()]

    def sync(i: int) -> Any:
        return clients[i].post("/api/v1/offline/sales", {"sales": queues[i]}, format="json")

    responses = run_concurrently(2, sync)
    statuses = [r["status"] for response in responses for r in response.json()["results"]]
    assert statuses == ["created"] * 4
    certificate = OfflineCertificate.objects.get()
    assert (certificate.spent, certificate.lost) == (20_000, 20_000)
    assert certificate.lost <= certificate.allowance
    assert certificate.status == OfflineCertificate.Status.REVOKED
    assert Account.objects.get(pk=certificate.hold_account_id).balance == 0
    assert wallet_balance(member=member) == 30_000
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.OFFLINE_DOUBLE_SPEND, member=member).exists()
    losses = Transfer.objects.filter(kind=Transfer.Kind.ADJUSTMENT)
    assert sum(t.amount for t in losses) == 20_000
    call_command("check_ledger")


@pytest.mark.parametrize("round_", range(3))
def test_a_freeze_racing_a_sync_never_deadlocks_and_the_money_adds_up(
    round_: int, shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    """ "Lost phone?" pressed while a till syncs a sale paid with the phone's
    code: the freeze takes the certificate before the wallet, as the sync
    does, so neither waits on the other for ever. Whichever goes first, the
    hold paid what it held at that moment, the rest of the sale is the
    programme's loss, the rest of the hold is back in the wallet."""
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member, allowance=20_000)
    till = terminal_client(shop)
    tender = {"kind": "offline_wallet", "amount": 12_000, "code": phone.code()}
    body = {"sales": [sale(lines=[{"sku": "latte", "quantity": 1, "unit_price": 12_000}], tenders=[tender])]}

    def work(i: int) -> Any:
        if i == 0:
            return wallet_freeze(member=member, reason="lost phone", by_staff=False)
        return till.post("/api/v1/offline/sales", body, format="json")

    frozen, synced = run_concurrently(2, work)
    assert [r["status"] for r in synced.json()["results"]] == ["created"]
    certificate = OfflineCertificate.objects.get()
    assert certificate.status == OfflineCertificate.Status.REVOKED
    assert certificate.spent + certificate.lost == 12_000
    # The sale first: 12 000 from the hold, 8 000 back. The freeze first: all 20 000 back, 12 000 lost.
    assert (certificate.spent, frozen.offline_returned) in ((12_000, 8_000), (0, 20_000))
    assert Account.objects.get(pk=certificate.hold_account_id).balance == 0
    assert wallet_balance(member=member) == 30_000 + frozen.offline_returned
    call_command("check_ledger")
