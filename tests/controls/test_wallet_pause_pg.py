"""Money controls, 11a, on PostgreSQL with real threads: managers pausing or
lifting at once make one pause and one lift, and payments racing a pause are
each either whole or refused with nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from cafe_loyalty.core.problems import Problem
from members.selectors import points_problems
from members.services import member_create
from payments.exceptions import WalletPauseInvalid, WalletPaymentsPaused
from payments.models import Account, Payment, RiskAlert, Store, Transfer, WalletPause
from payments.selectors.ledger import ledger_problems
from payments.services.codes import payment_code_issue
from payments.services.pauses import wallet_payments_pause, wallet_payments_resume
from payments.services.top_ups import wallet_top_up
from tests.conftest import make_staff
from tests.helpers import pay_from_wallet, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_managers_pausing_the_same_scope_at_once_make_one_pause(manager_user: Any, django_user_model: Any) -> None:
    second = make_staff(django_user_model, "second@example.com", "Manager")
    managers = [manager_user, second]

    results = run_concurrently(
        8,
        lambda i: wallet_payments_pause(store=None, reason=f"incident seen by {i}", by=managers[i % 2]),
        allowed=(Problem,),
    )

    made = [r for r in results if isinstance(r, WalletPause)]
    refused = [r for r in results if isinstance(r, WalletPauseInvalid)]
    assert len(made) == 1 and len(refused) == 7, results
    assert all("already paused at all stores" in r.detail for r in refused)
    assert WalletPause.objects.filter(lifted_at__isnull=True).count() == 1
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.WALLET_PAUSED).count() == 1  # no orphan alert

    pause = made[0]
    lifts = run_concurrently(
        6, lambda i: wallet_payments_resume(pause=pause, reason=f"clear {i}", by=managers[i % 2]), allowed=(Problem,)
    )
    assert len([r for r in lifts if isinstance(r, WalletPause)]) == 1, lifts
    assert len([r for r in lifts if isinstance(r, WalletPauseInvalid)]) == 5, lifts
    pause.refresh_from_db()
    assert pause.lifted_at is not None and pause.lift_reason.startswith("clear ")


def test_payments_racing_a_pause_are_each_whole_or_refused(manager_user: Any) -> None:
    store = Store.objects.create(name="Da'an", slug="daan")
    members = [member_create(user=None, display_name=f"M{i}", email=f"m{i}@example.com") for i in range(7)]
    for member in members:
        wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    codes = [payment_code_issue(member=member).code for member in members]

    def work(i: int) -> Any:
        if i == 7:
            return wallet_payments_pause(store=store, reason="incident", by=manager_user)
        return pay_from_wallet(code=codes[i], amount=10_000, store=store)

    results = run_concurrently(8, work, allowed=(Problem,))

    paid = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, WalletPaymentsPaused)]
    assert isinstance(results[7], WalletPause)
    assert len(paid) + len(refused) == 7, results
    assert Payment.objects.count() == len(paid)
    assert Transfer.objects.filter(kind=Transfer.Kind.PAYMENT).count() == len(paid)
    total = sum(a.balance for a in Account.objects.filter(kind=Account.Kind.WALLET))
    assert total == 7 * 50_000 - len(paid) * 10_000
    # Once the pause has committed, nothing more is charged.
    with pytest.raises(WalletPaymentsPaused):
        pay_from_wallet(member=members[0], amount=1_000, store=store)
    assert ledger_problems() == []
    assert points_problems() == []
