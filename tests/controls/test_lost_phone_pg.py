"""The lost-phone freeze on PostgreSQL with real threads: a freeze racing the
payments of the phone's codes never deadlocks, and every payment either
happened before it or is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cafe_loyalty.core.problems import Problem
from members.selectors import points_problems
from members.services import member_get_or_create_for_user
from payments.exceptions import AccountFrozen, PaymentCodeExpired
from payments.models import Account, Payment, PaymentCode, ProgrammeSettings, Store
from payments.selectors.ledger import ledger_problems
from payments.services.codes import MAX_LIVE_CODES, payment_code_issue
from payments.services.risk import WalletFrozen, wallet_freeze, wallet_unfreeze
from payments.services.top_ups import wallet_top_up
from tests.helpers import pay_from_wallet, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_freeze_racing_the_phones_payments_leaves_no_payment_after_it(member_user: Any) -> None:
    store = Store.objects.create(name="Da'an", slug="daan")
    programme = ProgrammeSettings.current()
    programme.velocity_per_minute = 100  # the rounds pay more often than a person would
    programme.save()
    member = member_get_or_create_for_user(user=member_user)
    wallet_top_up(member=member, amount=500_000, tender="cash", store=store)
    phone = Client()
    phone.force_login(member_user)
    paid_total = 0
    for _round in range(3):
        codes = [payment_code_issue(member=member).code for _ in range(MAX_LIVE_CODES)]

        def work(i: int, codes: list[str] = codes) -> Any:
            if i == len(codes):
                return wallet_freeze(member=member, reason="lost phone", by_staff=False)
            return pay_from_wallet(code=codes[i], amount=1_000, store=store)

        results = run_concurrently(len(codes) + 1, work, allowed=(Problem,))
        frozen = [r for r in results if isinstance(r, WalletFrozen)]
        paid = [r for r in results if isinstance(r, Payment)]
        refused = [r for r in results if isinstance(r, (PaymentCodeExpired, AccountFrozen))]
        assert len(frozen) == 1 and len(paid) + len(refused) == len(codes), results  # nothing else (no deadlock)
        paid_total += 1_000 * len(paid)
        # Whatever paid, paid before the freeze: every code is now used or retired.
        assert not PaymentCode.objects.filter(member=member, used_at__isnull=True, retired_at__isnull=True).exists()
        wallet = Account.objects.get(member=member)
        assert wallet.is_frozen and wallet.balance == 500_000 - paid_total
        assert ledger_problems() == [] and points_problems() == []
        wallet_unfreeze(member=member, by_staff=False, reauthenticated=True)
    assert phone.get("/wallet/")["Location"].startswith("/accounts/login/")
