"""Helpers every suite shares: how a test pays from a wallet, refunds and
confirms (one seam), the points the earn rule gives, and the concurrency
harness.

Tests that need a wallet payment call `pay_from_wallet`, `refund_payment` and
`confirm_payment` here rather than payments.services.wallet, so that when
payments move to orders with a wallet tender only this module changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from members.models import Member
from payments.models import Payment, Refund, Store

# --- Wallet payments: the one place tests reach the payment services ----------------


def pay_from_wallet(
    *, amount: int, member: Member | None = None, code: str = "", store: Store | None = None
) -> Payment:
    """Pay `amount` at the counter with the member's pay code: a fresh one for
    `member`, or `code` as the member's phone shows it. Returns the payment
    (succeeded, or waiting for the member above their no-confirmation limit);
    refusals raise the service's WalletError."""
    from payments.services.codes import payment_code_issue
    from payments.services.wallet import payment_create

    if (member is None) == (not code):
        raise ValueError("pass exactly one of member and code")
    if member is not None:
        code = payment_code_issue(member=member).code
    return payment_create(code=code, amount=amount, store=store).payment


def refund_payment(*, payment_id: int, amount: int | None = None) -> Refund:
    """Refund `amount` (default: all that is left) of a wallet payment."""
    from payments.services.wallet import payment_refund

    refund, _wallet_balance = payment_refund(payment_id=payment_id, amount=amount)
    return refund


def confirm_payment(*, payment_id: int, member: Member, approve: bool = True) -> Payment:
    """The member approves (or declines) a payment waiting for them."""
    from payments.services.wallet import payment_confirm

    return payment_confirm(payment_id=payment_id, member=member, approve=approve).payment


# --- Points -----------------------------------------------------------------------


def points_for(amount: int) -> int:
    """Points the configured earn rule gives for paying `amount` (rounded down,
    at most the per-order cap), for a member in the entry tier with no
    promotion or product bonus running and room under the daily cap. Computed
    here from the rule's row, not by the loyalty code under test."""
    from campaigns.models import EarnRule

    rule = EarnRule.current()
    return min(amount * rule.points_per_unit // rule.unit_amount, rule.max_points_per_order)


# --- Concurrency ------------------------------------------------------------------


def run_concurrently(
    count: int, work: Callable[[int], Any], *, allowed: tuple[type[BaseException], ...] = ()
) -> list[Any]:
    """Start `count` threads, each on its own database connection, hold them at
    a barrier, then call work(i) in all of them at once. Returns each call's
    result in order; an exception of an `allowed` type (an expected refusal)
    is returned in place of a result, any other fails the test."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - recorded, then checked below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, allowed)]
    assert unexpected == [], unexpected
    return results
