"""Wallet money in and out: top-ups, payments by code, confirmation, refunds.

Every function here keeps the ledger invariants (see payments.services.ledger):
one durable transaction, wallets locked before any balance is read, the
transfer and the posted columns written together, notices sent on commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from members.models import Member
from members.notices import notice_send, notice_text, notices_batched
from payments import loyalty_bridge
from payments.exceptions import (
    AccountFrozen,
    InsufficientFunds,
    LimitExceeded,
    PaymentCodeExpired,
    PaymentCodeInvalid,
    PaymentCodeUsed,
    PaymentNotPending,
    PaymentNotRefundable,
    RefundExceedsPayment,
    RefundRequiresApproval,
)
from payments.models import (
    Account,
    IdempotencyRecord,
    Payment,
    PaymentCode,
    ProgrammeSettings,
    Refund,
    RiskAlert,
    Store,
    Terminal,
    Transfer,
)
from payments.services.codes import hash_payment_code
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create
from payments.services.risk import (
    WalletActivity,
    effective_daily_limit,
    effective_no_confirmation_limit,
    failed_code_record,
    risk_alert_raise,
    spent_today,
    wallet_lock_with_activity,
)

# --- Payments --------------------------------------------------------------------


@dataclass
class PaymentResult:
    payment: Payment
    wallet_balance: int
    points_explanation: list[str]


def _code_for_update(code_hash: str, now: datetime) -> PaymentCode:
    found = (
        PaymentCode.objects.select_for_update(of=("self",)).select_related("member").filter(code_hash=code_hash).first()
    )
    if found is None:
        raise PaymentCodeInvalid(_("No such payment code. Ask the member to refresh the code on their phone."))
    if found.used_at is not None:
        raise PaymentCodeUsed(_("This code has already paid. Ask the member for a fresh code."))
    if found.expires_at <= now or found.retired_at is not None:
        raise PaymentCodeExpired(_("This code has expired. Ask the member to show the new code."))
    return found


def _check_can_pay(*, activity: WalletActivity, amount: int, programme: ProgrammeSettings) -> None:
    """Frozen, then velocity, then daily limit, then balance: the order a barista
    would want to explain them in."""
    wallet = activity.wallet
    if wallet.is_frozen:
        raise AccountFrozen(_("This wallet is frozen. The member can unfreeze it in the app, or pay another way."))
    if activity.payments_last_minute >= programme.velocity_per_minute:
        raise LimitExceeded(_("Too many payments in the last minute. Please wait a moment."), rule="velocity")
    limit = effective_daily_limit(wallet=wallet, programme=programme)
    if activity.spent_today + amount > limit:
        raise LimitExceeded(
            _("This would pass the member's daily limit of %(limit)s.") % {"limit": format_money(limit)},
            rule="daily_limit",
        )
    if wallet.balance < amount:
        raise InsufficientFunds(
            _("The wallet holds %(balance)s; the member can top up or pay the rest another way.")
            % {"balance": format_money(wallet.balance)},
            wallet_balance=wallet.balance,
        )


def _complete_payment(
    *, payment: Payment, wallet: Account, now: datetime, lines: list[Any] | None, award_points: bool = True
) -> list[str]:
    sales = system_account(kind=Account.Kind.SALES, store=payment.store)
    post_transfers(
        [Leg(debit=wallet, credit=sales, amount=payment.amount, kind=Transfer.Kind.PAYMENT)],
        payment=payment,
        order_reference=payment.reference,
        actor_user=payment.actor,
        actor_terminal=payment.terminal,
    )
    # A POS order split across tenders earns points once, for the whole order,
    # so the till passes award_points=False and awards them itself.
    loyalty = (
        loyalty_bridge.award_for_paid_order(
            member=payment.member,
            amount=payment.amount,
            reference=f"payment:{payment.pk}",
            store_slug=payment.store.slug if payment.store else None,
            at=now,
            lines=lines,
        )
        if award_points
        else loyalty_bridge.LoyaltyResult()
    )
    changed = []
    if payment.status != Payment.Status.SUCCEEDED:
        payment.status = Payment.Status.SUCCEEDED
        payment.completed_at = now
        changed += ["status", "completed_at"]
    if loyalty.points_earned:
        payment.points_earned = loyalty.points_earned
        changed.append("points_earned")
    if changed:
        payment.save(update_fields=changed)
    paid = format_money(payment.amount)
    notice_send(
        member=payment.member,
        kind="wallet",
        title=notice_text(gettext_noop("Paid %(amount)s at %(store)s"), amount=paid, store=payment.store.name)
        if payment.store
        else notice_text(gettext_noop("Paid %(amount)s"), amount=paid),
        body=notice_text(gettext_noop("Balance %(balance)s."), balance=format_money(wallet.balance - payment.amount)),
        link="/wallet/",
    )
    return loyalty.explanation


def payment_create(
    *,
    code: str = "",
    code_hash: str = "",
    amount: int,
    terminal: Terminal | None = None,
    store: Store | None = None,
    actor: Any = None,
    reference: str = "",
    lines: list[Any] | None = None,
    award_points: bool = True,
    idempotency_record: IdempotencyRecord | None = None,
) -> PaymentResult:
    """Pay `amount` from the wallet of the member whose one-time code this is.

    The code row is locked, so of many concurrent requests with one code exactly
    one uses it. Above the member's no-confirmation limit the payment waits
    (status requires_confirmation) for the member to approve in the portal.

    Callers pass the code as scanned, or (the till, which keeps no codes) its
    keyed hash."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    if bool(code) == bool(code_hash):
        raise ValueError("pass exactly one of code and code_hash")
    code_hash = code_hash or hash_payment_code(code)
    store = store or (terminal.store if terminal else None)
    now = timezone.now()
    programme = ProgrammeSettings.current()
    member: Member | None = None
    try:
        with transaction.atomic(durable=True), notices_batched():
            payment_code = _code_for_update(code_hash, now)
            member = payment_code.member
            activity = wallet_lock_with_activity(member=member, now=now)
            wallet = activity.wallet
            _check_can_pay(activity=activity, amount=amount, programme=programme)
            payment_code.used_at = now
            payment_code.save(update_fields=["used_at"])
            needs_confirmation = amount > effective_no_confirmation_limit(wallet=wallet, programme=programme)
            payment = Payment.objects.create(
                member=member,
                amount=amount,
                # Written final at once when no confirmation is needed: the
                # transfer below commits with it or not at all.
                status=Payment.Status.REQUIRES_CONFIRMATION if needs_confirmation else Payment.Status.SUCCEEDED,
                completed_at=None if needs_confirmation else now,
                reference=reference[:100],
                store=store,
                terminal=terminal,
                actor=actor,
                payment_code=payment_code,
                created_at=now,
                idempotency_record=idempotency_record,
                confirm_by=now + timedelta(seconds=programme.confirmation_timeout_seconds)
                if needs_confirmation
                else None,
            )
            if needs_confirmation:
                notice_send(
                    member=member,
                    kind="wallet",
                    title=notice_text(gettext_noop("Confirm payment of %(amount)s"), amount=format_money(amount)),
                    body=notice_text(gettext_noop("Open the app to approve or decline.")),
                    link=f"/wallet/confirm/{payment.pk}/",
                )
                return PaymentResult(payment=payment, wallet_balance=wallet.balance, points_explanation=[])
            explanation = _complete_payment(
                payment=payment, wallet=wallet, now=now, lines=lines, award_points=award_points
            )
            return PaymentResult(
                payment=payment, wallet_balance=wallet.balance - amount, points_explanation=explanation
            )
    except (PaymentCodeInvalid, PaymentCodeExpired, PaymentCodeUsed) as exc:
        failed_code_record(member=member, terminal=terminal, reason=exc.code)
        raise
    except AccountFrozen:
        risk_alert_raise(
            kind=RiskAlert.Kind.FROZEN_ATTEMPT,
            member=member,
            terminal=terminal,
            detail="Payment attempt on a frozen wallet",
        )
        raise
    except LimitExceeded as exc:
        kind = RiskAlert.Kind.VELOCITY if exc.extra.get("rule") == "velocity" else RiskAlert.Kind.DAILY_LIMIT
        risk_alert_raise(kind=kind, member=member, terminal=terminal, detail=exc.detail)
        raise


def payment_expire_if_due(*, payment: Payment, now: datetime | None = None) -> Payment:
    """A payment left unconfirmed past its window becomes expired (lazily, on read,
    and by the expire_pending_payments job)."""
    now = now or timezone.now()
    if payment.status == Payment.Status.REQUIRES_CONFIRMATION and payment.confirm_by and payment.confirm_by <= now:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.REQUIRES_CONFIRMATION).update(
            status=Payment.Status.EXPIRED, decline_code="confirmation_expired", completed_at=now
        )
        payment.refresh_from_db()
    return payment


def payments_expire_pending(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Payment.objects.filter(status=Payment.Status.REQUIRES_CONFIRMATION, confirm_by__lte=now).update(
        status=Payment.Status.EXPIRED, decline_code="confirmation_expired", completed_at=now
    )


def payment_confirm(*, payment_id: int, member: Member, approve: bool) -> PaymentResult:
    """The member approves or declines a payment that waits for them. Approval
    re-checks freeze, limits and balance: they may have changed meanwhile."""
    now = timezone.now()
    programme = ProgrammeSettings.current()
    wallet = wallet_get_or_create(member=member)
    with transaction.atomic(durable=True):
        # The payment row before the wallet, as refunds lock them.
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("store", "terminal", "member")
            .filter(pk=payment_id, member=member)
            .first()
        )
        if payment is None:
            raise PaymentNotPending(_("No such payment."))
        wallet = lock_wallets(wallet)[wallet.pk]
        if payment.status != Payment.Status.REQUIRES_CONFIRMATION:
            raise PaymentNotPending(_("This payment is %(status)s.") % {"status": payment.get_status_display().lower()})
        if payment.confirm_by and payment.confirm_by <= now:
            payment.status = Payment.Status.EXPIRED
            payment.decline_code = "confirmation_expired"
            payment.completed_at = now
            payment.save(update_fields=["status", "decline_code", "completed_at"])
            return PaymentResult(payment=payment, wallet_balance=wallet.balance, points_explanation=[])
        if not approve:
            payment.status = Payment.Status.DECLINED
            payment.decline_code = "declined_by_member"
            payment.completed_at = now
            payment.save(update_fields=["status", "decline_code", "completed_at"])
            return PaymentResult(payment=payment, wallet_balance=wallet.balance, points_explanation=[])
        # The pending payment already counts toward today's spend; check the rest.
        if wallet.is_frozen:
            raise AccountFrozen(_("This wallet is frozen."))
        if wallet.balance < payment.amount:
            raise InsufficientFunds(
                _("The wallet holds %(balance)s.") % {"balance": format_money(wallet.balance)},
                wallet_balance=wallet.balance,
            )
        limit = effective_daily_limit(wallet=wallet, programme=programme)
        if spent_today(member=member, now=now) > limit:
            raise LimitExceeded(_("This would pass your daily limit of %(limit)s.") % {"limit": format_money(limit)})
        explanation = _complete_payment(payment=payment, wallet=wallet, now=now, lines=None)
        return PaymentResult(
            payment=payment, wallet_balance=wallet.balance - payment.amount, points_explanation=explanation
        )


def payment_decline_after_error(*, payment_id: int, member: Member, code: str) -> None:
    """Record why an approval failed so the till stops waiting."""
    Payment.objects.filter(pk=payment_id, member=member, status=Payment.Status.REQUIRES_CONFIRMATION).update(
        status=Payment.Status.DECLINED, decline_code=code, completed_at=timezone.now()
    )


# --- Refunds -----------------------------------------------------------------------


def refund_needs_approval(*, amount: int) -> bool:
    return amount > ProgrammeSettings.current().refund_approval_threshold


def payment_refund(
    *,
    payment_id: int,
    amount: int | None = None,
    reason: str = "",
    terminal: Terminal | None = None,
    actor: Any = None,
    approved_by: Any = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> tuple[Refund, int]:
    """Refund all (default) or part of what is left of a payment back to the
    wallet; points are reversed in proportion. Returns (refund, wallet balance).
    Above the programme's threshold an approver with payments.approve_refund
    is required."""
    with transaction.atomic(durable=True):
        return payment_refund_in_transaction(
            payment_id=payment_id,
            amount=amount,
            reason=reason,
            terminal=terminal,
            actor=actor,
            approved_by=approved_by,
            idempotency_record=idempotency_record,
        )


def payment_refund_in_transaction(
    *,
    payment_id: int,
    amount: int | None = None,
    reason: str = "",
    terminal: Terminal | None = None,
    actor: Any = None,
    approved_by: Any = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> tuple[Refund, int]:
    """payment_refund for a caller that already holds its own durable
    transaction (a till refund moves several tenders all or nothing). Locks
    the payment, then the wallet."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("payment_refund_in_transaction must run inside the caller's transaction")
    now = timezone.now()
    payment = (
        Payment.objects.select_for_update(of=("self",)).select_related("member", "store").filter(pk=payment_id).first()
    )
    if payment is None:
        raise PaymentNotRefundable(_("No such payment."))
    if payment.status != Payment.Status.SUCCEEDED:
        raise PaymentNotRefundable(_("This payment is %(status)s.") % {"status": payment.get_status_display().lower()})
    left = payment.amount - payment.refunded_amount
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise RefundExceedsPayment(
            _("At most %(left)s is left to refund on this payment.") % {"left": format_money(left)},
            refundable_amount=left,
        )
    if refund_needs_approval(amount=amount) and not (
        approved_by is not None and approved_by.has_perm("payments.approve_refund")
    ):
        raise RefundRequiresApproval(
            _("Refunds above %(threshold)s need a shift manager or manager.")
            % {"threshold": format_money(ProgrammeSettings.current().refund_approval_threshold)}
        )
    wallet = lock_wallets(wallet_get_or_create(member=payment.member))
    wallet_account = next(iter(wallet.values()))
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        terminal=terminal,
        actor=actor,
        approved_by=approved_by,
        created_at=now,
        idempotency_record=idempotency_record,
    )
    sales = system_account(kind=Account.Kind.SALES, store=payment.store)
    post_transfers(
        [Leg(debit=sales, credit=wallet_account, amount=amount, kind=Transfer.Kind.REFUND)],
        payment=payment,
        refund=refund,
        order_reference=payment.reference,
        actor_user=actor,
        actor_terminal=terminal,
    )
    payment.refunded_amount += amount
    payment.save(update_fields=["refunded_amount"])
    loyalty_bridge.reverse_for_refund(
        member=payment.member,
        reference=f"payment:{payment.pk}",
        refund_amount=amount,
        original_amount=payment.amount,
        refund_reference=f"refund:{refund.pk}",
    )
    new_balance = wallet_account.balance + amount
    notice_send(
        member=payment.member,
        kind="wallet",
        title=notice_text(gettext_noop("Refund %(amount)s"), amount=format_money(amount)),
        body=notice_text(gettext_noop("Balance %(balance)s."), balance=format_money(new_balance)),
        link="/wallet/",
    )
    if refund_needs_approval(amount=amount):
        transaction.on_commit(
            lambda: risk_alert_raise(
                kind=RiskAlert.Kind.LARGE_REFUND,
                member=payment.member,
                terminal=terminal,
                detail=f"Refund {format_money(amount)} on payment {payment.pk}",
            )
        )
    return refund, new_balance
