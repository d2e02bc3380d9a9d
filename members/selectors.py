"""Reads for members (querysets, summaries)."""

from __future__ import annotations

from typing import Any

from members.models import Consent, Member


def member_for_user(*, user: Any) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).first()


def member_by_card_number(*, card_number: str) -> Member | None:
    return Member.objects.filter(card_number=card_number, anonymised_at__isnull=True).first()


def consent_current(*, member: Member) -> dict[tuple[str, str], bool]:
    """Current choice per (channel, purpose); absent means never granted."""
    current: dict[tuple[str, str], bool] = {}
    for channel, purpose, granted in (
        Consent.objects.filter(member=member).order_by("recorded_at", "pk").values_list("channel", "purpose", "granted")
    ):
        current[(channel, purpose)] = granted
    return current


def consent_granted(*, member: Member, channel: str, purpose: str) -> bool:
    return consent_current(member=member).get((channel, purpose), False)
