"""Double-entry posting. Every movement of wallet money is one Transfer plus the
matching change to both accounts' posted columns, in the same transaction.

Lock order (fixed, so concurrent services never deadlock): a till order, then
the payment code or payment row the service works on, then member wallets with
SELECT … FOR UPDATE in primary-key order, then the member row (points); system accounts
(sales, cash drawer, bonus…) are then updated with single UPDATE statements in
primary-key order as the last writes before commit (inside
`system_postings_last()`, after everything else the transaction writes). System accounts are shared
by every payment of a store, so holding their row lock only for the final
moments of the transaction is what keeps payments from queueing on them.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from cafe_loyalty.core.rows import row_add, rows_insert
from members.models import Member
from payments.models import Account, Store, Transfer

# System accounts never change identity, so their rows are remembered per
# process; only pk and kind are used from them (balances are read fresh).
_system_accounts: dict[tuple[str, int | None], Account] = {}


def forget_cached_accounts() -> None:
    _system_accounts.clear()


def system_account(*, kind: str, store: Store | None = None) -> Account:
    """The chain-wide (store=None) or per-store system account of a kind."""
    cache_key = (kind, store.pk if store else None)
    if cache_key in _system_accounts:
        return _system_accounts[cache_key]
    found = Account.objects.filter(kind=kind, member__isnull=True, store=store).first()
    if found is not None:
        _system_accounts[cache_key] = found
        return found
    # A row created here is not cached: the caller's transaction may yet roll back.
    label = dict(Account.Kind.choices)[kind]
    try:
        with transaction.atomic():
            return Account.objects.create(
                kind=kind, store=store, name=f"{label} — {store.name}" if store else str(label)
            )
    except IntegrityError:  # created by a concurrent request
        return Account.objects.get(kind=kind, member__isnull=True, store=store)


def wallet_get_or_create(*, member: Member) -> Account:
    found = Account.objects.filter(kind=Account.Kind.WALLET, member=member).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Account.objects.create(kind=Account.Kind.WALLET, member=member, name=f"Wallet {member.card_number}")
    except IntegrityError:
        return Account.objects.get(kind=Account.Kind.WALLET, member=member)


def lock_wallets(*wallets: Account) -> dict[int, Account]:
    """Lock wallet rows in primary-key order and return fresh copies by pk."""
    pks = sorted({w.pk for w in wallets})
    locked = Account.objects.select_for_update(of=("self",)).filter(pk__in=pks).order_by("pk")
    return {account.pk: account for account in locked}


MEMBER_KINDS = (Account.Kind.WALLET, Account.Kind.OFFLINE_HOLD)


@dataclass(frozen=True)
class Leg:
    debit: Account
    credit: Account
    amount: int
    kind: str


def post_transfers(legs: list[Leg], **links: Any) -> list[Transfer]:
    """Write the transfers and move the posted columns. Wallets touched by the
    legs must already be locked by the caller (lock_wallets); the database CHECK
    still refuses a negative wallet if a caller forgot."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post_transfers must run inside a transaction")
    transfers = []
    debits: dict[int, int] = defaultdict(int)
    credits: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.amount <= 0:
            raise ValueError("transfer amounts are positive")
        transfers.append(
            Transfer(
                debit_account=leg.debit,
                credit_account=leg.credit,
                amount=leg.amount,
                kind=leg.kind,
                **links,
            )
        )
        debits[leg.debit.pk] += leg.amount
        credits[leg.credit.pk] += leg.amount
    created = rows_insert(transfers)
    # A member's offline hold is theirs alone, locked like a wallet and posted at once.
    wallet_pks = {leg.debit.pk for leg in legs if leg.debit.kind in MEMBER_KINDS} | {
        leg.credit.pk for leg in legs if leg.credit.kind in MEMBER_KINDS
    }
    # Wallets first (already locked), then system accounts, each in pk order.
    ordered = sorted(set(debits) | set(credits), key=lambda pk: (pk not in wallet_pks, pk))
    pending: dict[int, list[int]] | None = getattr(_deferred, "pending", None)
    for pk in ordered:
        if pending is not None and pk not in wallet_pks:
            moved = pending.setdefault(pk, [0, 0])
            moved[0] += debits.get(pk, 0)
            moved[1] += credits.get(pk, 0)
            continue
        _post_to_account(pk, debits.get(pk, 0), credits.get(pk, 0))
    return created


def _post_to_account(pk: int, debit: int, credit: int) -> None:
    row_add(Account, pk, debits_posted=debit, credits_posted=credit)


_deferred = threading.local()


@contextmanager
def system_postings_last() -> Iterator[None]:
    """Inside a transaction: post to system accounts (a store's sales
    account, shared by every payment there) when the block ends, after
    everything else the transaction writes, in primary-key order. A system
    account's row lock is then held only from that UPDATE to the COMMIT,
    instead of through the rest of the sale, which is what lets payments of
    one store run side by side. Wallets are still posted at once (the caller
    holds their locks anyway). Nested blocks join the outer one."""
    if getattr(_deferred, "pending", None) is not None:
        yield
        return
    _deferred.pending = {}
    try:
        yield
        pending: dict[int, list[int]] = _deferred.pending
    finally:
        _deferred.pending = None
    for pk in sorted(pending):
        _post_to_account(pk, *pending[pk])
