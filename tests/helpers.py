"""Helpers every suite shares: how a test pays from a wallet, refunds and
confirms (one seam).

Tests that need a wallet payment call `pay_from_wallet`, `refund_payment` and
`confirm_payment` here rather than payments.services.wallet, so that when
payments move to orders with a wallet tender only this module changes.
"""

from __future__ import annotations

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
