"""Paying stored value back in cash at the counter.

Top-up bonuses are the programme's gift, not the member's money, so they do
not leave as cash: the bonus is taken to be spent first, and only what is
left of it after the member's spending stays behind (see wallet_cashable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from members.models import Member
from members.notices import notice_money, notice_send, notice_text
from payments.exceptions import AccountFrozen, CashOutInvalid, CashOutRequiresApproval
from payments.models import Account, CashOut, IdempotencyRecord, Store, Transfer
from payments.services.approvals import approval_check
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create


@dataclass(frozen=True)
class Cashable:
    balance: int
    bonus_left: int  # top-up bonus not yet used up by spending

    @property
    def amount(self) -> int:
        return max(self.balance - self.bonus_left, 0)


def wallet_cashable(*, wallet: Account) -> Cashable:
    """How much of the wallet may be paid back in cash: the balance less the
    top-up bonus the member's net spending (from the wallet and from offline
    holds) has not used up yet."""
    # Offline codes pay from the member's holds (issue 18): spending too, so
    # it uses up the bonus first; counted with the wallet's own, in one query.
    from_holds = Q(
        debit_account__kind=Account.Kind.OFFLINE_HOLD,
        debit_account__offline_certificate__member_id=wallet.member_id,
        kind=Transfer.Kind.PAYMENT,
    )
    totals = dict(
        Transfer.objects.filter(Q(debit_account=wallet) | Q(credit_account=wallet) | from_holds)
        .filter(kind__in=[Transfer.Kind.TOP_UP_BONUS, Transfer.Kind.PAYMENT, Transfer.Kind.REFUND])
        .order_by()
        .values_list("kind")
        .annotate(total=Sum("amount"))
    )
    bonus = totals.get(Transfer.Kind.TOP_UP_BONUS, 0)
    spent = totals.get(Transfer.Kind.PAYMENT, 0) - totals.get(Transfer.Kind.REFUND, 0)
    return Cashable(balance=wallet.balance, bonus_left=max(bonus - max(spent, 0), 0))


def wallet_cash_out(
    *,
    member: Member,
    store: Store,
    actor: Any,
    approved_by: Any,
    reason: str,
    amount: int | None = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> tuple[CashOut, int]:
    """Pay `amount` (default: all that may leave) of the wallet back in cash
    from the store's drawer. Needs a Shift manager or Manager and a reason.
    Returns (cash-out, wallet balance after)."""
    if approved_by is None:
        raise CashOutRequiresApproval(_("Paying a wallet back in cash needs a shift manager or manager."))
    approval_check(approver=approved_by, actor=actor, member=member)
    reason = reason.strip()[:200]
    if not reason:
        raise CashOutInvalid(_("Say why the wallet is paid back (for example: leaving the programme)."))
    drawer = system_account(kind=Account.Kind.CASH_DRAWER, store=store)
    with transaction.atomic(durable=True):
        wallet = lock_wallets(wallet_get_or_create(member=member))
        account = next(iter(wallet.values()))
        if account.is_frozen:
            raise AccountFrozen(_("This wallet is frozen; it must be unfrozen before paying it back."))
        cashable = wallet_cashable(wallet=account)
        amount = cashable.amount if amount is None else amount
        if amount <= 0 or amount > cashable.amount:
            raise CashOutInvalid(
                _("At most %(amount)s can be paid back in cash (top-up bonuses stay in the wallet).")
                % {"amount": format_money(cashable.amount)}
            )
        cash_out = CashOut.objects.create(
            member=member,
            amount=amount,
            store=store,
            actor=actor,
            approved_by=approved_by,
            reason=reason,
            created_at=timezone.now(),
            idempotency_record=idempotency_record,
        )
        post_transfers(
            [Leg(debit=account, credit=drawer, amount=amount, kind=Transfer.Kind.CASH_OUT)],
            cash_out=cash_out,
            actor_user=actor,
            memo=reason,
        )
        balance = account.balance - amount
        notice_send(
            member=member,
            kind="wallet",
            title=notice_text(gettext_noop("Paid back %(amount)s in cash"), amount=notice_money(amount)),
            body=notice_text(
                gettext_noop("At %(store)s. Balance %(balance)s."), store=store.name, balance=notice_money(balance)
            ),
            link="/wallet/",
        )
    return cash_out, balance
