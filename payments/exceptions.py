"""Domain errors of the wallet; each maps to one problem `code` (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from cafe_loyalty.core.problems import Problem


class WalletError(Problem):
    """A refusal the barista or member can act on. `member` is whose wallet
    refused, when known, for the risk records written after the rollback."""

    member: Any = None


class PaymentCodeInvalid(WalletError):
    status, code, title = 404, "payment_code_invalid", "Unknown payment code"


class PaymentCodeExpired(WalletError):
    status, code, title = 410, "payment_code_expired", "Payment code expired"


class PaymentCodeUsed(WalletError):
    status, code, title = 409, "payment_code_used", "Payment code already used"


class InsufficientFunds(WalletError):
    status, code, title = 402, "insufficient_funds", "Insufficient wallet balance"


class LimitExceeded(WalletError):
    status, code, title = 422, "limit_exceeded", "Spending limit reached"


class AccountFrozen(WalletError):
    status, code, title = 423, "account_frozen", "Wallet frozen"


class RefundExceedsPayment(WalletError):
    status, code, title = 422, "refund_exceeds_payment", "Refund above what is left to refund"


class RefundRequiresApproval(WalletError):
    status, code, title = 403, "refund_requires_approval", "Refund needs a shift manager's approval"


class WalletCapExceeded(WalletError):
    status, code, title = 422, "wallet_cap_exceeded", "Top-up would exceed the wallet cap"


class TopUpAmountInvalid(WalletError):
    status, code, title = 422, "top_up_amount_invalid", "Top-up amount outside the allowed range"


class PaymentNotPending(WalletError):
    status, code, title = 409, "payment_not_pending", "Payment is not waiting for confirmation"


class PaymentNotFound(Problem):
    """No payment of that id is the member's: an unknown id and someone
    else's payment get the same answer, so ids cannot be probed. Not a
    WalletError: there is no wallet refusal to record, nor payment to decline."""

    status, code, title = 404, "not_found", "No such payment"


class ConfirmationExpired(WalletError):
    status, code, title = 410, "confirmation_expired", "Confirmation window has passed"


class PaymentNotRefundable(WalletError):
    status, code, title = 409, "payment_not_refundable", "Only succeeded payments can be refunded"


class MemberNotFound(WalletError):
    status, code, title = 404, "member_not_found", "No such member"


class LimitInvalid(WalletError):
    status, code, title = 422, "limit_invalid", "Limit outside what the programme allows"


class CashOutInvalid(WalletError):
    status, code, title = 422, "cash_out_invalid", "Cash-out amount not allowed"


class CashOutRequiresApproval(WalletError):
    status, code, title = 403, "cash_out_requires_approval", "Cash-out needs a shift manager's approval"


class OnlineTopUpUnavailable(WalletError):
    status, code, title = 409, "online_top_up_unavailable", "Online top-up is not available"


class CardDeclined(WalletError):
    status, code, title = 402, "card_declined", "The card gateway declined the charge"


class ApprovalRefused(WalletError):
    status, code, title = 403, "approval_refused", "This person cannot approve that"


class TopUpLimitExceeded(WalletError):
    status, code, title = 422, "top_up_limit_exceeded", "Daily top-up total reached"


class CardAuthorisationMissing(WalletError):
    status, code, title = 422, "card_authorisation_required", "A card top-up needs the card slip's authorisation code"


class WalletPaymentsPaused(WalletError):
    """A manager paused wallet payments (an incident): try again later, or pay
    another way. Cash, card, points and top-ups keep working."""

    status, code, title = 503, "wallet_payments_paused", "Wallet payments are paused"
    headers = {"Retry-After": "300"}


class WalletPauseRefused(WalletError):
    status, code, title = 403, "wallet_pause_refused", "Only a manager can pause or resume wallet payments"


class WalletPauseInvalid(WalletError):
    status, code, title = 409, "wallet_pause_invalid", "That pause cannot be set or lifted"


class ReauthenticationNeeded(WalletError):
    status, code, title = 403, "reauthentication_required", "Confirm it is you first"


class TooManyFailures(WalletError):
    """Too many unknown payment codes or card numbers from one terminal or till
    login: it waits (HTTP 429 with Retry-After) before it may try again."""

    status, code, title = 429, "too_many_failures", "Too many unknown codes or cards"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, retry_after=retry_after)
