"""Turning offline paying on and off, and the periodic expiry: every move is
a ledger transfer between the wallet and the certificate's hold account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.exceptions import InsufficientFunds, ReauthenticationNeeded
from payments.models import Account, OfflineCertificate, ProgrammeSettings, Transfer
from payments.selectors.ledger import ledger_problems
from payments.selectors.wallet import wallet_balance
from payments.services.offline.holds import (
    OfflineSetupInvalid,
    offline_certificates_expire,
    offline_disable,
    offline_enable,
)
from tests.offline.conftest import Phone, spki_of


def hold_balance(phone: Phone) -> int:
    return Account.objects.get(pk=phone.issued.certificate.hold_account_id).balance


def test_enabling_moves_the_default_allowance_from_wallet_to_hold(
    make_member: Callable[..., Any], phone_for: Any
) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member)
    assert phone.issued.certificate.allowance == 30_000
    assert wallet_balance(member=member) == 20_000 and hold_balance(phone) == 30_000
    transfer = Transfer.objects.get(kind=Transfer.Kind.OFFLINE_HOLD)
    assert transfer.credit_account_id == phone.issued.certificate.hold_account_id and transfer.amount == 30_000


def test_enabling_needs_reauthentication_and_respects_the_cap(
    make_member: Callable[..., Any], programme_key: str
) -> None:
    member = make_member(balance=500_000)
    spki = spki_of(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ReauthenticationNeeded):
        offline_enable(member=member, device_public_key=spki, allowance=None, reauthenticated=False)
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"offline_allowance_cap": 50_000})
    with pytest.raises(OfflineSetupInvalid):
        offline_enable(member=member, device_public_key=spki, allowance=50_001, reauthenticated=True)
    with pytest.raises(OfflineSetupInvalid, match="key"):
        offline_enable(member=member, device_public_key="bm90IGEga2V5", allowance=100, reauthenticated=True)
    assert not OfflineCertificate.objects.exists() and wallet_balance(member=member) == 500_000


def test_enabling_with_too_little_in_the_wallet_is_refused(make_member: Callable[..., Any], phone_for: Any) -> None:
    member = make_member(balance=10_000)
    with pytest.raises(InsufficientFunds):
        phone_for(member)
    assert wallet_balance(member=member) == 10_000
    assert not Account.objects.filter(kind=Account.Kind.OFFLINE_HOLD).exists()  # rolled back with it


def test_disabling_returns_the_unused_hold(make_member: Callable[..., Any], phone_for: Any) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member, allowance=20_000)
    assert offline_disable(member=member) == 20_000
    assert wallet_balance(member=member) == 50_000 and hold_balance(phone) == 0
    phone.issued.certificate.refresh_from_db()
    assert phone.issued.certificate.status == OfflineCertificate.Status.REVOKED
    assert offline_disable(member=member) == 0  # already off: nothing moves


def test_enabling_on_a_second_phone_ends_the_first(make_member: Callable[..., Any], phone_for: Any) -> None:
    member = make_member(balance=50_000)
    first: Phone = phone_for(member, allowance=20_000)
    second: Phone = phone_for(member, allowance=10_000)
    assert hold_balance(first) == 0 and hold_balance(second) == 10_000
    assert wallet_balance(member=member) == 40_000
    assert OfflineCertificate.objects.filter(member=member, status="active").get() == second.issued.certificate


def test_hold_returned_on_expiry_once(make_member: Callable[..., Any], phone_for: Any) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member)
    expires = phone.issued.certificate.expires_at
    assert offline_certificates_expire(now=expires) == 0  # the sync grace is not over
    assert offline_certificates_expire(now=expires + timedelta(days=1, seconds=1)) == 1
    assert offline_certificates_expire(now=expires + timedelta(days=2)) == 0
    assert wallet_balance(member=member) == 50_000 and hold_balance(phone) == 0
    assert OfflineCertificate.objects.get().status == OfflineCertificate.Status.EXPIRED


def test_expire_command_is_idempotent(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    OfflineCertificate.objects.filter(pk=phone.issued.certificate.pk).update(
        expires_at=timezone.now() - timedelta(days=2)
    )
    out = StringIO()
    call_command("expire_offline_holds", stdout=out)
    call_command("expire_offline_holds", stdout=out)
    assert out.getvalue().splitlines() == ["1 offline certificate(s) ended", "0 offline certificate(s) ended"]


def test_a_hold_never_goes_negative_and_check_ledger_sums_it(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    hold = phone.issued.certificate.hold_account_id
    assert ledger_problems() == []
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=hold).update(debits_posted=40_000)  # the database's CHECK, as for wallets
    Account.objects.filter(pk=hold).update(credits_posted=31_000)
    problems = ledger_problems()
    assert any(f"account {hold} " in p and "transfers sum to 0/30000" in p for p in problems)
    assert any("ledger unbalanced" in p for p in problems)
    Account.objects.filter(pk=hold).update(credits_posted=30_000)  # the autouse invariant check runs after
