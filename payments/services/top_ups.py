"""Money into wallets: top-ups at the counter, over the API and online, with
the running bonus rules.

Every function here keeps the ledger invariants (see payments.services.ledger):
one durable transaction, the wallet locked before its balance is read, the
transfers and the posted columns written together, notices sent on commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from members.models import Member
from members.notices import notice_send, notice_text
from payments.exceptions import TopUpAmountInvalid, WalletCapExceeded
from payments.models import (
    Account,
    IdempotencyRecord,
    ProgrammeSettings,
    Store,
    Terminal,
    TopUp,
    TopUpBonusRule,
    Transfer,
)
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create

TENDER_ACCOUNT: dict[str, str] = {
    TopUp.Tender.CASH: Account.Kind.CASH_DRAWER,
    TopUp.Tender.CARD: Account.Kind.CARD_CLEARING,
    TopUp.Tender.ONLINE: Account.Kind.ONLINE_GATEWAY,
}


# --- Top-ups -------------------------------------------------------------------


def top_up_offers(*, at: datetime) -> list[TopUpBonusRule]:
    """The bonus rules running at `at`, smallest top-up first: shown to members
    and baristas, and the one source `top_up_bonus` reads."""
    running = (
        TopUpBonusRule.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    )
    return list(running.order_by("min_amount", "-bonus"))


def top_up_bonus(offers: list[TopUpBonusRule], amount: int) -> int:
    """The bonus a top-up of `amount` earns: the best running rule it reaches
    (rules do not add up)."""
    return max((rule.bonus for rule in offers if rule.min_amount <= amount), default=0)


@dataclass
class TopUpResult:
    top_up: TopUp
    wallet_balance: int


def wallet_top_up(
    *,
    member: Member,
    amount: int,
    tender: str,
    store: Store | None = None,
    terminal: Terminal | None = None,
    actor: Any = None,
    gateway_reference: str = "",
    idempotency_record: IdempotencyRecord | None = None,
) -> TopUpResult:
    """Credit the wallet from a tender account, plus any bonus from the
    promotional account as a separate transfer; refuses amounts outside the
    programme's range and balances above the wallet cap."""
    if tender not in TENDER_ACCOUNT:
        raise ValueError(f"unknown tender {tender!r}")
    programme = ProgrammeSettings.current()
    if not programme.min_top_up <= amount <= programme.max_top_up:
        raise TopUpAmountInvalid(
            _("Top up between %(low)s and %(high)s.")
            % {"low": format_money(programme.min_top_up), "high": format_money(programme.max_top_up)}
        )
    now = timezone.now()
    bonus = top_up_bonus(top_up_offers(at=now), amount)
    wallet = wallet_get_or_create(member=member)
    # Cash and card go to the store's drawer/clearing; online is chain-wide.
    tender_store = store if tender != TopUp.Tender.ONLINE else None
    tender_account = system_account(kind=TENDER_ACCOUNT[tender], store=tender_store)
    bonus_account = system_account(kind=Account.Kind.PROMO_BONUS) if bonus else None
    with transaction.atomic(durable=True):
        locked = lock_wallets(wallet)[wallet.pk]
        if locked.balance + amount + bonus > programme.wallet_cap:
            raise WalletCapExceeded(
                _("The wallet can hold at most %(cap)s; it holds %(balance)s.")
                % {"cap": format_money(programme.wallet_cap), "balance": format_money(locked.balance)}
            )
        top_up = TopUp.objects.create(
            member=member,
            amount=amount,
            bonus=bonus,
            tender=tender,
            store=store,
            terminal=terminal,
            actor=actor,
            gateway_reference=gateway_reference,
            created_at=now,
            idempotency_record=idempotency_record,
        )
        legs = [Leg(debit=tender_account, credit=locked, amount=amount, kind=Transfer.Kind.TOP_UP)]
        if bonus_account is not None:
            legs.append(Leg(debit=bonus_account, credit=locked, amount=bonus, kind=Transfer.Kind.TOP_UP_BONUS))
        post_transfers(legs, top_up=top_up, actor_user=actor, actor_terminal=terminal)
        balance = format_money(locked.balance + amount + bonus)
        notice_send(
            member=member,
            kind="wallet",
            title=notice_text(gettext_noop("Top-up %(amount)s"), amount=format_money(amount)),
            body=notice_text(
                gettext_noop("Bonus %(bonus)s. Balance %(balance)s."), bonus=format_money(bonus), balance=balance
            )
            if bonus
            else notice_text(gettext_noop("Balance %(balance)s."), balance=balance),
            link="/wallet/",
        )
    return TopUpResult(top_up=top_up, wallet_balance=locked.balance + amount + bonus)
