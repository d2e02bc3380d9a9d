"""Reads for payments: balances, history, summaries."""

from __future__ import annotations

from dataclasses import dataclass

from members.models import Member
from payments.models import Account


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
