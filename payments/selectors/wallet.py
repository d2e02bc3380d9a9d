"""Reads for payments: balances, history, summaries."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from members.models import Member, PointsEntry
from members.selectors import tier_english
from payments.models import Account, Payment, TopUpBonusRule, Transfer


@dataclass(frozen=True)
class PortalSummary:
    wallet_balance: int
    points_balance: int
    is_frozen: bool


def wallet_for_member(*, member: Member) -> Account | None:
    return Account.objects.filter(kind=Account.Kind.WALLET, member=member).first()


def wallet_balance(*, member: Member) -> int:
    wallet = wallet_for_member(member=member)
    return wallet.balance if wallet else 0


def member_portal_summary(*, member: Member) -> PortalSummary:
    wallet = wallet_for_member(member=member)
    return PortalSummary(
        wallet_balance=wallet.balance if wallet else 0,
        points_balance=member.points_balance,
        is_frozen=bool(wallet and wallet.is_frozen),
    )


def member_tier_name(member: Member) -> str | None:
    """The member's tier as the API names it: in English (schema: TierName)."""
    return tier_english(member.tier)


@dataclass(frozen=True)
class HistoryItem:
    """One line of a member's combined wallet and points history."""

    id: str
    kind: str  # "wallet" or "points"
    type: str  # transfer kind or points entry kind
    amount: int  # signed: + into the wallet / points balance, - out of it
    description: str  # points: the explanation, line by line
    created_at: datetime
    reference: str
    label: str = ""  # a short heading for people (the movement's kind)


def _wallet_items(member: Member, limit: int, since: datetime | None, until: datetime | None) -> list[HistoryItem]:
    wallet = wallet_for_member(member=member)
    if wallet is None:
        return []
    qs = Transfer.objects.filter(Q(debit_account=wallet) | Q(credit_account=wallet)).select_related(
        "payment__store", "top_up"
    )
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    items = []
    for transfer in qs.order_by("-created_at", "-pk")[:limit]:
        signed = transfer.amount if transfer.credit_account_id == wallet.pk else -transfer.amount
        label = transfer.get_kind_display()
        if transfer.payment and transfer.payment.store:
            label = f"{label} · {transfer.payment.store.name}"
        items.append(
            HistoryItem(
                id=f"w{transfer.pk}",
                kind="wallet",
                type=transfer.kind,
                amount=signed,
                description=str(label),
                label=str(label),
                created_at=transfer.created_at,
                reference=transfer.order_reference,
            )
        )
    return items


def _points_items(member: Member, limit: int, since: datetime | None, until: datetime | None) -> list[HistoryItem]:
    qs = PointsEntry.objects.filter(member=member)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return [
        HistoryItem(
            id=f"p{entry.pk}",
            kind="points",
            type=entry.kind,
            amount=entry.points,
            description=entry.explanation,
            label=str(entry.get_kind_display()),
            created_at=entry.created_at,
            reference=entry.reference,
        )
        for entry in qs.order_by("-created_at", "-pk")[:limit]
    ]


def member_history(
    *, member: Member, offset: int = 0, limit: int = 25, since: datetime | None = None, until: datetime | None = None
) -> list[HistoryItem]:
    """Wallet and points movements merged, newest first. Each source is read up
    to offset+limit rows, so the cost stays bounded by the page asked for."""
    window = offset + limit
    merged = heapq.merge(
        _wallet_items(member, window, since, until),
        _points_items(member, window, since, until),
        key=lambda item: item.created_at,
        reverse=True,
    )
    return list(merged)[offset:window]


def member_history_count(*, member: Member) -> int:
    """How many lines member_history has in all (for the API's page count)."""
    wallet = wallet_for_member(member=member)
    transfers = Transfer.objects.filter(Q(debit_account=wallet) | Q(credit_account=wallet)).count() if wallet else 0
    return transfers + PointsEntry.objects.filter(member=member).count()


def payment_for_terminal(*, payment_id: int, store_id: int) -> Payment | None:
    """A terminal sees (and refunds) only its own store's payments."""
    return (
        Payment.objects.select_related("member", "store", "tender__order")
        .filter(pk=payment_id, store_id=store_id)
        .first()
    )


def pending_payments(*, member: Member) -> list[Payment]:
    return list(
        Payment.objects.filter(member=member, status=Payment.Status.REQUIRES_CONFIRMATION)
        .select_related("store")
        .order_by("-created_at")[:5]
    )


def member_payment(*, member: Member, payment_id: int) -> Payment | None:
    """One of the member's own payments, with its order (for the API body)."""
    return Payment.objects.select_related("member", "tender__order").filter(pk=payment_id, member=member).first()


def top_up_offers(*, at: datetime) -> list[TopUpBonusRule]:
    """The bonus rules running at `at`, smallest top-up first: shown to members
    and baristas, and the one source `top_up_bonus` reads."""
    running = (
        TopUpBonusRule.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    )
    return list(running.order_by("min_amount", "-bonus"))
