"""Reads of the wallet ledger: the invariants check, balances at a point."""

from __future__ import annotations

from django.db.models import Q, Sum

from payments.models import Account, Transfer


def ledger_problems() -> list[str]:
    """Check the ledger invariants; an empty list means all hold.

    1. Σ debits_posted = Σ credits_posted over all accounts.
    2. Each account's posted columns equal the sums of its transfers.
    3. No wallet and no offline hold is negative (holds are summed in 1 and 2
       like every account).
    """
    problems: list[str] = []
    totals = Account.objects.aggregate(d=Sum("debits_posted"), c=Sum("credits_posted"))
    if (totals["d"] or 0) != (totals["c"] or 0):
        problems.append(f"ledger unbalanced: debits {totals['d']} != credits {totals['c']}")
    debit_sums = dict(
        Transfer.objects.values("debit_account").annotate(s=Sum("amount")).values_list("debit_account", "s")
    )
    credit_sums = dict(
        Transfer.objects.values("credit_account").annotate(s=Sum("amount")).values_list("credit_account", "s")
    )
    for account in Account.objects.only("pk", "name", "kind", "debits_posted", "credits_posted").iterator():
        expected_d = debit_sums.get(account.pk, 0)
        expected_c = credit_sums.get(account.pk, 0)
        if account.debits_posted != expected_d or account.credits_posted != expected_c:
            problems.append(
                f"account {account.pk} ({account.name}): posted {account.debits_posted}/{account.credits_posted}"
                f" but transfers sum to {expected_d}/{expected_c}"
            )
        # An offline hold is the member's money too (issue 18): never below zero.
        if account.kind in (Account.Kind.WALLET, Account.Kind.OFFLINE_HOLD) and account.balance < 0:
            problems.append(f"account {account.pk} ({account.name}): {account.kind} negative ({account.balance})")
    return problems


def wallet_balance_after(*, wallet_id: int, transfer_id: int) -> int:
    """The wallet's balance just after one of its transfers (to answer an API
    retry exactly as the first request would have). A wallet's transfers are
    written under its row lock, so their ids follow the order they happened."""
    sums = (
        Transfer.objects.filter(Q(credit_account_id=wallet_id) | Q(debit_account_id=wallet_id))
        .filter(pk__lte=transfer_id)
        .aggregate(
            credits=Sum("amount", filter=Q(credit_account_id=wallet_id), default=0),
            debits=Sum("amount", filter=Q(debit_account_id=wallet_id), default=0),
        )
    )
    return int(sums["credits"]) - int(sums["debits"])
