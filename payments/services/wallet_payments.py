"""Wallet payments: money out of a wallet by one-time code, held for the
member's confirmation above their limit, and back in on a refund.

This module only moves money. It knows nothing of orders or loyalty: the
order services (payments.services.orders) call it for a wallet tender and
earn or reverse points once per order. Every function runs inside the
caller's durable transaction and keeps the ledger invariants (see
payments.services.ledger); lock order: the order, then the payment code or
payment row, then the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.rows import PreparedQuery, row_create, row_save
from members.models import Member
from members.notices import notice_money, notice_send, notice_text
from payments.exceptions import (
    PaymentNotPending,
    PaymentNotRefundable,
    RefundExceedsPayment,
    WalletError,
    WalletPaymentsPaused,
)
from payments.models import (
    Account,
    IdempotencyRecord,
    OrderRefund,
    Payment,
    PaymentCode,
    ProgrammeSettings,
    Refund,
    Store,
    Terminal,
    Transfer,
)
from payments.selectors.codes import payment_code_check_live
from payments.selectors.risk import wallet_pause_current, wallet_pauses_in_force
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create
from payments.services.risk import effective_no_confirmation_limit, wallet_check_can_pay, wallet_lock_with_activity


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must run inside the caller's transaction")


def _check_not_paused(store_id: int | None) -> None:
    """The one place a manager's pause stops wallet money (see
    payments.services.pauses): read in the charge's transaction, so a payment
    started after the pause committed is refused."""
    if wallet_pause_current(store_id=store_id) is not None:
        raise WalletPaymentsPaused(
            _(
                "Wallet payments are paused for now. Please pay by cash or card; "
                "the wallet works again once the cafe lifts the pause."
            )
        )


@dataclass
class WalletCharge:
    payment: Payment
    wallet_balance: int  # after the charge (unchanged while it waits for the member)


# Built once per process: building this query was a fifth of a payment's Python.
_CODE_FOR_UPDATE = PreparedQuery(
    lambda code_hash, store_id: (
        PaymentCode.objects.select_for_update(of=("self",))
        .select_related("member")
        .annotate(paused=Exists(wallet_pauses_in_force(store_id=store_id)))
        .filter(code_hash=code_hash)[:1]
    )
)


def _code_for_update(code_hash: str, now: datetime, store_id: int | None) -> PaymentCode:
    """The code, locked, with whether a pause stops wallet payments at the
    store read in the same statement; the pause is refused first, as
    `_check_not_paused` would."""
    found = _CODE_FOR_UPDATE.first(code_hash=code_hash, store_id=store_id)
    if found is None or found.paused:
        _check_not_paused(store_id)
    return payment_code_check_live(code=found, now=now)


def wallet_charge(
    *,
    code_hash: str,
    amount: int,
    store: Store,
    terminal: Terminal | None = None,
    actor: Any = None,
    reference: str = "",
    idempotency_record: IdempotencyRecord | None = None,
    now: datetime,
) -> WalletCharge:
    """Take `amount` from the wallet whose one-time code this is (its keyed
    hash). The code row is locked, so of many concurrent requests with one
    code exactly one uses it. Above the member's no-confirmation limit the
    payment waits (requires_confirmation) for the member to approve.

    A refusal carries the member (when the code found one) in `exc.member`,
    for `wallet_refusal_record` after the caller's transaction rolled back."""
    _require_transaction("wallet_charge")
    if amount <= 0:
        raise ValueError("amount must be positive")
    programme = ProgrammeSettings.current()
    member: Member | None = None
    try:
        payment_code = _code_for_update(code_hash, now, store.pk)
        member = payment_code.member
        activity = wallet_lock_with_activity(member=member, now=now)
        wallet_check_can_pay(activity=activity, amount=amount, programme=programme)
    except WalletError as exc:
        exc.member = member
        raise
    payment_code.used_at = now
    row_save(payment_code, ("used_at",))
    return _charge(
        activity.wallet,
        programme,
        member=member,
        amount=amount,
        reference=reference,
        store=store,
        terminal=terminal,
        actor=actor,
        payment_code=payment_code,
        idempotency_record=idempotency_record,
        now=now,
    )


def wallet_charge_member(
    *,
    member: Member,
    amount: int,
    store: Store,
    reference: str = "",
    idempotency_record: IdempotencyRecord | None = None,
    now: datetime,
) -> WalletCharge:
    """Take `amount` from a member's wallet at their own request, signed in
    (order ahead): no payment code, their session proves them. Otherwise the
    rules of `wallet_charge`, from the same pieces: a manager's pause, the
    freeze, daily limit, velocity and balance (`wallet_check_can_pay`), and
    above the member's no-confirmation limit the payment waits for them to
    approve it (requires_confirmation). Refusals carry `exc.member`."""
    _require_transaction("wallet_charge_member")
    if amount <= 0:
        raise ValueError("amount must be positive")
    programme = ProgrammeSettings.current()
    try:
        _check_not_paused(store.pk)
        activity = wallet_lock_with_activity(member=member, now=now)
        wallet_check_can_pay(activity=activity, amount=amount, programme=programme)
    except WalletError as exc:
        exc.member = member
        raise
    return _charge(
        activity.wallet,
        programme,
        member=member,
        amount=amount,
        reference=reference,
        store=store,
        idempotency_record=idempotency_record,
        now=now,
    )


def _charge(
    wallet: Account,
    programme: ProgrammeSettings,
    *,
    member: Member,
    amount: int,
    reference: str,
    now: datetime,
    **links: Any,
) -> WalletCharge:
    """The payment row of a charge the wallet can pay (checked, locked): final
    at once, its transfer committing with it or not at all, or above the
    member's no-confirmation limit waiting for them to approve it."""
    needs_confirmation = amount > effective_no_confirmation_limit(wallet=wallet, programme=programme)
    created = row_create(
        Payment,
        member=member,
        amount=amount,
        status=Payment.Status.REQUIRES_CONFIRMATION if needs_confirmation else Payment.Status.SUCCEEDED,
        completed_at=None if needs_confirmation else now,
        created_at=now,
        confirm_by=now + timedelta(seconds=programme.confirmation_timeout_seconds) if needs_confirmation else None,
        reference=reference[:100],
        **links,  # store, and the terminal, actor, code and idempotency record where there are
    )
    if needs_confirmation:
        notice_send(
            member=member,
            kind="wallet",
            title=notice_text(gettext_noop("Confirm payment of %(amount)s"), amount=notice_money(amount)),
            body=notice_text(gettext_noop("Open the app to approve or decline.")),
            link=f"/wallet/confirm/{created.pk}/",
        )
        return WalletCharge(payment=created, wallet_balance=wallet.balance)
    _post_payment(created, wallet)
    return WalletCharge(payment=created, wallet_balance=wallet.balance - amount)


def _post_payment(payment: Payment, wallet: Account) -> None:
    sales = system_account(kind=Account.Kind.SALES, store=payment.store)
    post_transfers(
        [Leg(debit=wallet, credit=sales, amount=payment.amount, kind=Transfer.Kind.PAYMENT)],
        payment=payment,
        order_reference=payment.reference,
        actor_user=payment.actor,
        actor_terminal=payment.terminal,
    )


def payment_lock(*, payment_id: int, member: Member | None = None) -> Payment | None:
    """The payment row, locked (after its order, before the wallet)."""
    found = Payment.objects.select_for_update(of=("self",)).select_related("member", "store", "terminal")
    if member is not None:
        found = found.filter(member=member)
    return found.filter(pk=payment_id).first()


def payment_settle_confirmed(*, payment: Payment, approve: bool, now: datetime) -> WalletCharge:
    """The member's answer to a held payment (locked by the caller): approve
    moves the money after checking again, by the same rule as a new payment,
    whether the wallet can pay (a pause, freeze, velocity, limit and balance
    may have changed meanwhile); decline or a late answer moves nothing."""
    _require_transaction("payment_settle_confirmed")
    if payment.status != Payment.Status.REQUIRES_CONFIRMATION:
        raise PaymentNotPending(_("This payment is %(status)s.") % {"status": payment.get_status_display().lower()})
    if payments_expire_due(now=now, payment_id=payment.pk):
        payment.refresh_from_db()
        return WalletCharge(payment=payment, wallet_balance=wallet_get_or_create(member=payment.member).balance)
    if not approve:
        _close_held(payment, status=Payment.Status.DECLINED, code="declined_by_member", now=now)
        return WalletCharge(payment=payment, wallet_balance=wallet_get_or_create(member=payment.member).balance)
    _check_not_paused(payment.store_id)
    activity = wallet_lock_with_activity(member=payment.member, now=now, exclude_payment=payment.pk)
    try:
        wallet_check_can_pay(activity=activity, amount=payment.amount, programme=ProgrammeSettings.current())
    except WalletError as exc:
        exc.member = payment.member
        raise
    _post_payment(payment, activity.wallet)
    payment.status = Payment.Status.SUCCEEDED
    payment.completed_at = now
    payment.save(update_fields=["status", "completed_at"])
    return WalletCharge(payment=payment, wallet_balance=activity.wallet.balance - payment.amount)


def _close_held(payment: Payment, *, status: str, code: str, now: datetime) -> None:
    payment.status = status
    payment.decline_code = code
    payment.completed_at = now
    payment.save(update_fields=["status", "decline_code", "completed_at"])


def payment_decline_after_error(*, payment_id: int, code: str) -> int:
    """Record why an approval failed (frozen, over the limit, short), so the
    till stops waiting. Returns how many payments were declined (0 or 1)."""
    return Payment.objects.filter(pk=payment_id, status=Payment.Status.REQUIRES_CONFIRMATION).update(
        status=Payment.Status.DECLINED, decline_code=code, completed_at=timezone.now()
    )


def payments_expire_due(*, now: datetime | None = None, payment_id: int | None = None) -> int:
    """The one rule for expiring held payments: still waiting for the member
    past `confirm_by` becomes expired (code confirmation_expired). For one
    payment (on read, on a late answer) or all (the expire_pending_payments
    job). Returns how many expired."""
    now = now or timezone.now()
    due = Payment.objects.filter(status=Payment.Status.REQUIRES_CONFIRMATION, confirm_by__lte=now)
    if payment_id is not None:
        due = due.filter(pk=payment_id)
    return due.update(status=Payment.Status.EXPIRED, decline_code="confirmation_expired", completed_at=now)


def wallet_refund_payment(
    *,
    payment_id: int,
    amount: int,
    order_refund: OrderRefund,
    reason: str = "",
    terminal: Terminal | None = None,
    actor: Any = None,
    approved_by: Any = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> tuple[Refund, int]:
    """Put `amount` of a succeeded payment back in its wallet: the wallet part
    of an order refund (the order service decides amounts and approval).
    Locks the payment, then the wallet. Returns (refund, wallet balance)."""
    _require_transaction("wallet_refund_payment")
    payment = payment_lock(payment_id=payment_id)
    if payment is None:
        raise PaymentNotRefundable(_("No such payment."))
    if payment.status != Payment.Status.SUCCEEDED:
        raise PaymentNotRefundable(_("This payment is %(status)s.") % {"status": payment.get_status_display().lower()})
    left = payment.amount - payment.refunded_amount
    if amount <= 0 or amount > left:
        raise RefundExceedsPayment(
            _("At most %(left)s is left to refund on this payment.") % {"left": format_money(left)},
            refundable_amount=left,
        )
    wallet = lock_wallets(wallet_get_or_create(member=payment.member))
    wallet_account = next(iter(wallet.values()))
    refund = Refund.objects.create(
        payment=payment,
        order_refund=order_refund,
        amount=amount,
        reason=reason[:200],
        terminal=terminal,
        actor=actor,
        approved_by=approved_by,
        created_at=order_refund.created_at,
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
    return refund, wallet_account.balance + amount
