"""The points and wallet liability report with paying offline on (issue 18):
what is set aside in offline holds is still members' money, so it is wallet
liability, and the report still reconciles with the ledger's own sums."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from cafe_loyalty.core.clock import month_of
from payments.models import Account, TopUpBonusRule
from payments.selectors.ledger import ledger_problems
from payments.selectors.liability import wallet_liability
from payments.services.cash_out import wallet_cashable
from payments.services.top_ups import wallet_top_up
from tests.offline.conftest import Phone, sale

URL = "/admin/payments/account/liability/"


def members_money() -> int:
    """What check_ledger sums for members: every wallet and offline hold."""
    accounts = Account.objects.filter(kind__in=[Account.Kind.WALLET, Account.Kind.OFFLINE_HOLD])
    return sum(account.balance for account in accounts)


def test_offline_holds_are_wallet_liability_and_the_report_reconciles(
    api: APIClient, make_member: Callable[..., Any], phone_for: Any, client: Client, manager_user: Any
) -> None:
    TopUpBonusRule.objects.create(name="Top up NT$1,000, get NT$100", min_amount=100_000, bonus=10_000)
    member = make_member("Lin")
    wallet_top_up(member=member, amount=100_000, tender="cash")  # NT$1,100 in the wallet, NT$100 of it bonus
    phone: Phone = phone_for(member, allowance=30_000)  # NT$300 of it set aside

    wallets = wallet_liability()
    assert (wallets.balance, wallets.held_offline, wallets.bonus, wallets.paid_in) == (110_000, 30_000, 10_000, 100_000)
    assert wallets.reconciled and wallets.transfers_net == members_money() == 110_000
    this_month = wallets.months[-1]
    assert this_month.month == month_of(timezone.now())
    # Setting money aside moves it between the member's own accounts: no movement in the month.
    assert (this_month.top_ups, this_month.bonus, this_month.spent, this_month.other) == (100_000, 10_000, 0, 0)

    # A NT$120 latte paid offline from the hold: spending, and the bonus goes first.
    code = {"kind": "offline_wallet", "amount": 12_000, "code": phone.code()}
    [result] = api.post("/api/v1/offline/sales", {"sales": [sale(tenders=[code])]}, format="json").json()["results"]
    assert result["status"] == "created"
    wallets = wallet_liability()
    assert (wallets.balance, wallets.held_offline, wallets.bonus, wallets.paid_in) == (98_000, 18_000, 0, 98_000)
    assert wallets.reconciled and wallets.transfers_net == members_money() == 98_000
    assert (wallets.months[-1].spent, wallets.months[-1].closing) == (12_000, 98_000)
    assert ledger_problems() == []
    # A cash-out follows the same rule: the bonus was spent from the hold, the whole wallet may go back.
    assert wallet_cashable(wallet=Account.objects.get(member=member)).amount == 80_000

    # The page and its CSV say how much of the liability is held for paying offline.
    client.force_login(manager_user)
    page = client.get(URL).content.decode()
    assert 'data-testid="held-offline">NT$180<' in page
    assert "sum of wallet and offline hold balances NT$980 = transfers into them less out of them NT$980" in page
    body = client.get(URL + "?format=csv").content.decode("utf-8")
    values = {row[0]: row[1] for row in csv.reader(io.StringIO(body[1:])) if len(row) == 2}
    assert values["Of it, set aside for paying offline (TWD)"] == "180.00"
    assert values["Wallet liability (TWD)"] == "980.00" and values["Wallets reconcile"] == "yes"
