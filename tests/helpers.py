"""Helpers every suite shares: how a test pays from a wallet, refunds and
confirms (one seam), the points the earn rule gives, and the concurrency
harness.

Tests that need a wallet payment call `pay_from_wallet`, `refund_payment` and
`confirm_payment` here, through the services every channel uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from members.models import Member
from payments.models import Payment, Store, Tender, Terminal
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import (
    ConfirmResult,
    OrderRefundResult,
    order_confirm_payment,
    order_pay_by_code,
    order_refund,
)

# --- Wallet payments: the one place tests reach the payment services ----------------
#
# A wallet payment is a sale like any other: an order (channel api) with one
# wallet tender, as `POST /api/v1/payments` makes it; a refund of it goes
# through the order's refund service.


def default_store() -> Store:
    return Store.objects.order_by("pk").first() or Store.objects.create(name="Test store", slug="test-store")


def pay_from_wallet(
    *,
    amount: int,
    member: Member | None = None,
    code: str = "",
    store: Store | None = None,
    terminal: Terminal | None = None,
    reference: str = "",
) -> Payment:
    """Pay `amount` with the member's pay code: a fresh one for `member`, or
    `code` as the member's phone shows it. Returns the payment (succeeded, or
    waiting for the member above their no-confirmation limit), its order at
    `payment.tender.order`; refusals raise the service's WalletError."""
    if (member is None) == (not code):
        raise ValueError("pass exactly one of member and code")
    if member is not None:
        code = payment_code_issue(member=member).code
    sale = order_pay_by_code(
        code_hash=hash_payment_code(code),
        amount=amount,
        store=store or (terminal.store if terminal else None) or default_store(),
        terminal=terminal,
        reference=reference,
    )
    return sale.payment


def refund_payment(
    *, payment_id: int, amount: int | None = None, approved_by: Any = None, reason: str = ""
) -> OrderRefundResult:
    """Refund `amount` (default: all that is left) of a wallet payment, through its order."""
    tender = Tender.objects.select_related("order").get(payment_id=payment_id)
    return order_refund(
        order=tender.order, payment_id=payment_id, amount=amount, approved_by=approved_by, reason=reason
    )


def confirm_payment(*, payment_id: int, member: Member, approve: bool = True) -> ConfirmResult:
    """The member approves (or declines) a payment waiting for them."""
    return order_confirm_payment(payment_id=payment_id, member=member, approve=approve)


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
