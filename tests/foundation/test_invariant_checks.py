"""The invariant checks can fail: check_ledger names a broken account, and the
check that runs after every test (tests/conftest.py) sees a broken ledger or
points balance even when no transfer or points entry exists."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from members.models import Member
from payments.models import Account
from payments.services.ledger import wallet_get_or_create
from tests.conftest import ledger_and_points_problems

pytestmark = [pytest.mark.django_db, pytest.mark.breaks_invariants]


def test_check_ledger_names_an_account_that_disagrees_with_its_transfers(make_member: Callable[..., Member]) -> None:
    member = make_member(balance=10_000)
    call_command("check_ledger", stdout=io.StringIO())
    Account.objects.filter(member=member).update(credits_posted=F("credits_posted") + 1)
    errors = io.StringIO()
    with pytest.raises(CommandError, match="2 ledger invariant"):
        call_command("check_ledger", stdout=io.StringIO(), stderr=errors)
    assert "ledger unbalanced: debits 10000 != credits 10001" in errors.getvalue()
    assert f"(Wallet {member.card_number}): posted 0/10001 but transfers sum to 0/10000" in errors.getvalue()


def test_the_after_test_check_sees_a_wallet_posted_without_transfers(make_member: Callable[..., Member]) -> None:
    wallet = wallet_get_or_create(member=make_member())
    assert ledger_and_points_problems() == []
    Account.objects.filter(pk=wallet.pk).update(credits_posted=500)
    assert len(ledger_and_points_problems()) == 2  # unbalanced, and the wallet against its (no) transfers


def test_the_after_test_check_sees_points_without_entries(make_member: Callable[..., Member]) -> None:
    member = make_member()
    Member.objects.filter(pk=member.pk).update(points_balance=7)
    assert ledger_and_points_problems() == [f"member {member.pk} ({member.card_number}): balance 7, entries 0, lots 0"]
