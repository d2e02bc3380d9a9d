"""Freezing a wallet ends paying offline (issue 18 with the lost-phone
controls): the certificate is revoked and the unused hold goes back to the
wallet, by the same path as turning it off; a frozen wallet cannot turn it on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from rest_framework.test import APIClient

from payments.exceptions import AccountFrozen
from payments.models import Account, OfflineCertificate, RiskAlert, Transfer
from payments.selectors.ledger import ledger_problems
from payments.selectors.wallet import wallet_balance
from payments.services.offline.holds import offline_enable
from payments.services.risk import wallet_freeze, wallet_unfreeze
from payments.services.top_ups import wallet_top_up
from tests.offline.conftest import Phone, sale, spki_of
from tests.offline.test_portal import reauthenticate


@pytest.mark.parametrize("by_staff", [False, True], ids=["member-freeze", "risk-freeze"])
def test_freezing_the_wallet_revokes_the_certificate_and_returns_the_hold(
    by_staff: bool, api: APIClient, make_member: Callable[..., Any], phone_for: Any
) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member, allowance=20_000)
    assert wallet_balance(member=member) == 30_000
    done = wallet_freeze(member=member, reason="lost phone", by_staff=by_staff)
    assert done.offline_returned == 20_000
    certificate = OfflineCertificate.objects.get()
    assert (certificate.status, certificate.end_reason) == (OfflineCertificate.Status.REVOKED, "wallet frozen")
    assert Account.objects.get(pk=certificate.hold_account_id).balance == 0
    assert wallet_balance(member=member) == 50_000  # all of it back in the (frozen) wallet
    release = Transfer.objects.get(kind=Transfer.Kind.OFFLINE_RELEASE)
    assert (release.debit_account_id, release.amount) == (certificate.hold_account_id, 20_000)
    # A second freeze (a member pressing twice) moves nothing more.
    assert wallet_freeze(member=member, reason="again", by_staff=by_staff).offline_returned == 0
    # A code the lost phone makes afterwards pays nothing from the member's
    # money: an offline till that took it bears the loss, and it is flagged.
    [result] = api.post(
        "/api/v1/offline/sales",
        {"sales": [sale(tenders=[{"kind": "offline_wallet", "amount": 12_000, "code": phone.code()}])]},
        format="json",
    ).json()["results"]
    assert result["status"] == "created"
    certificate.refresh_from_db()
    assert (certificate.spent, certificate.lost) == (0, 12_000)
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.OFFLINE_DOUBLE_SPEND, member=member).exists()
    assert wallet_balance(member=member) == 50_000
    assert ledger_problems() == []


def test_a_frozen_wallet_cannot_turn_on_paying_offline(make_member: Callable[..., Any], programme_key: str) -> None:
    member = make_member(balance=50_000)
    spki = spki_of(ec.generate_private_key(ec.SECP256R1()))
    wallet_freeze(member=member, reason="lost phone", by_staff=False)
    with pytest.raises(AccountFrozen, match="paying offline cannot be turned on"):
        offline_enable(member=member, device_public_key=spki, allowance=None, reauthenticated=True)
    wallet_unfreeze(member=member, by_staff=True)
    wallet_freeze(member=member, reason="risk review", by_staff=True)
    with pytest.raises(AccountFrozen, match="frozen by the cafe"):  # the member cannot lift this one
        offline_enable(member=member, device_public_key=spki, allowance=None, reauthenticated=True)
    # Nothing was set aside by either attempt.
    assert not OfflineCertificate.objects.exists()
    assert not Account.objects.filter(kind=Account.Kind.OFFLINE_HOLD).exists()
    assert wallet_balance(member=member) == 50_000


def test_the_pay_page_is_told_the_wallet_is_frozen_and_enabling_is_refused(
    member_client: Any, member: Any, programme_key: str
) -> None:
    wallet_top_up(member=member, amount=50_000, tender="cash")
    status = reverse("wallet:offline_status")
    assert member_client.get(status).json()["frozen"] is False
    kept = member_client.session.session_key
    wallet_freeze(member=member, reason="lost phone", by_staff=False, keep_session_key=kept)
    assert member_client.get(status).json() == {
        "cap": 100_000,
        "default_allowance": 30_000,
        "enabled": False,
        "frozen": True,
    }
    reauthenticate(member_client)
    body = {"public_key": spki_of(ec.generate_private_key(ec.SECP256R1()))}
    refused = member_client.post(reverse("wallet:offline_enable"), body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (423, "account_frozen")
    assert refused.json()["detail"].startswith("Your wallet is frozen, so paying offline cannot be turned on.")
    assert not OfflineCertificate.objects.exists()
