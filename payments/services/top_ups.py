"""Money into wallets: top-ups at the counter, over the API and online (a card
charged through the gateway), with the running bonus rules.

Every function here keeps the ledger invariants (see payments.services.ledger):
one durable transaction, the wallet locked before its balance is read, the
transfers and the posted columns written together, notices sent on commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from members.models import Member
from members.notices import notice_money, notice_send, notice_text
from payments.exceptions import (
    CardAuthorisationMissing,
    CardDeclined,
    OnlineTopUpUnavailable,
    TopUpAmountInvalid,
    TopUpLimitExceeded,
    WalletCapExceeded,
    WalletError,
)
from payments.gateway import active_gateway
from payments.idempotency import form_claim
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
from payments.selectors.wallet import top_up_offers
from payments.services.claims import claim_take
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create
from payments.services.top_up_limits import top_up_limit_alert, top_up_limits_check

log = logging.getLogger(__name__)

TENDER_ACCOUNT: dict[str, str] = {
    TopUp.Tender.CASH: Account.Kind.CASH_DRAWER,
    TopUp.Tender.CARD: Account.Kind.CARD_CLEARING,
    TopUp.Tender.ONLINE: Account.Kind.ONLINE_GATEWAY,
}


# --- Top-ups -------------------------------------------------------------------


def top_up_bonus(offers: list[TopUpBonusRule], amount: int) -> int:
    """The bonus a top-up of `amount` earns: the best running rule it reaches
    (rules do not add up)."""
    return max((rule.bonus for rule in offers if rule.min_amount <= amount), default=0)


def _refuse_amount_out_of_range(*, programme: ProgrammeSettings, amount: int) -> None:
    if not programme.min_top_up <= amount <= programme.max_top_up:
        raise TopUpAmountInvalid(
            _("Top up between %(low)s and %(high)s.")
            % {"low": format_money(programme.min_top_up), "high": format_money(programme.max_top_up)}
        )


def _refuse_above_cap(*, programme: ProgrammeSettings, balance: int, added: int) -> None:
    if balance + added > programme.wallet_cap:
        raise WalletCapExceeded(
            _("The wallet can hold at most %(cap)s; it holds %(balance)s.")
            % {"cap": format_money(programme.wallet_cap), "balance": format_money(balance)}
        )


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
    programme's range, balances above the wallet cap, a card top-up without
    the card slip's authorisation code, and counter or terminal top-ups past
    their daily caps (payments.services.top_up_limits; the first refusal of
    the day tells managers)."""
    if tender not in TENDER_ACCOUNT:
        raise ValueError(f"unknown tender {tender!r}")
    programme = ProgrammeSettings.current()
    _refuse_amount_out_of_range(programme=programme, amount=amount)
    if tender == TopUp.Tender.CARD and not gateway_reference.strip():
        raise CardAuthorisationMissing(_("Type the card terminal's authorisation code from the slip."))
    now = timezone.now()
    bonus = top_up_bonus(top_up_offers(at=now), amount)
    wallet = wallet_get_or_create(member=member)
    # Cash and card go to the store's drawer/clearing; online is chain-wide.
    tender_store = store if tender != TopUp.Tender.ONLINE else None
    tender_account = system_account(kind=TENDER_ACCOUNT[tender], store=tender_store)
    bonus_account = system_account(kind=Account.Kind.PROMO_BONUS) if bonus else None
    try:
        with transaction.atomic(durable=True):
            claim_take(idempotency_record)  # the key commits with the top-up (payments.idempotency)
            if tender != TopUp.Tender.ONLINE:
                top_up_limits_check(member=member, amount=amount, store=store, terminal=terminal, actor=actor, now=now)
            locked = lock_wallets(wallet)[wallet.pk]
            _refuse_above_cap(programme=programme, balance=locked.balance, added=amount + bonus)
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
            balance = notice_money(locked.balance + amount + bonus)
            notice_send(
                member=member,
                kind="wallet",
                title=notice_text(gettext_noop("Top-up %(amount)s"), amount=notice_money(amount)),
                body=notice_text(
                    gettext_noop("Bonus %(bonus)s. Balance %(balance)s."), bonus=notice_money(bonus), balance=balance
                )
                if bonus
                else notice_text(gettext_noop("Balance %(balance)s."), balance=balance),
                link="/wallet/",
            )
    except TopUpLimitExceeded as exc:
        top_up_limit_alert(exc=exc, member=member, terminal=terminal, actor=actor)
        raise
    return TopUpResult(top_up=top_up, wallet_balance=locked.balance + amount + bonus)


# --- Online top-ups (portal, card gateway) ---------------------------------------------


def wallet_top_up_online(*, member: Member, amount: int, form_key: str, user: Any) -> TopUpResult | None:
    """Top up from the portal: charge the member's card through the gateway
    and credit the wallet (tender online).

    Keeps: a member pays only for money that reaches the wallet, and a form
    tops up at most once. The form's one-time key is claimed first, so a
    double submit returns None and does nothing. What can be refused without
    the card (amount range, wallet cap) is checked before charging; a refusal
    by the wallet after the charge voids the charge. Any refusal, and a
    declined card, releases the key so the same form can be sent again once
    fixed; it raises a WalletError for the member to read."""
    gateway = active_gateway()
    if gateway is None:
        raise OnlineTopUpUnavailable(_("Online top-up is not available. Top up at a counter."))
    claim = form_claim(user=user, key=f"form:{form_key}", source="portal-form")
    if claim is None:
        return None
    try:
        # Unlocked reads: a concurrent top-up may still fill the wallet first,
        # and then wallet_top_up refuses after the charge, which is voided.
        programme = ProgrammeSettings.current()
        _refuse_amount_out_of_range(programme=programme, amount=amount)
        bonus = top_up_bonus(top_up_offers(at=timezone.now()), amount)
        _refuse_above_cap(
            programme=programme, balance=wallet_get_or_create(member=member).balance, added=amount + bonus
        )
        # One gateway key per attempt: after a void, the same form sent again
        # must be a new charge, not a replay of the voided one.
        attempt_key = f"{form_key}:{claim.pk}"
        charge = gateway.charge(amount=amount, member_reference=member.card_number, idempotency_key=attempt_key)
        if not charge.approved:
            raise CardDeclined(charge.message or _("The card was declined."))
    except WalletError:
        # Only refusals release the key. A gateway that raised leaves it
        # claimed: whether the card was charged is unknown, so this form must
        # not charge again.
        claim.delete()
        raise
    try:
        return wallet_top_up(
            member=member,
            amount=amount,
            tender=TopUp.Tender.ONLINE,
            actor=user,
            gateway_reference=charge.reference,
            idempotency_record=claim,
        )
    except BaseException:
        # Whatever failed, the charge is voided unless the money is in the
        # wallet: the top-up row linked to the claim is committed with the
        # transfers, so its absence means the wallet's transaction rolled back
        # (a refusal, or the database failing); its presence means only
        # something after the commit failed, and the charge must stand.
        if not TopUp.objects.filter(idempotency_record=claim).exists():
            log.warning("online top-up for %s not credited; voiding charge %s", member.card_number, charge.reference)
            gateway.void(reference=charge.reference)
            claim.delete()
        raise
