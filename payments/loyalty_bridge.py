"""The one place payments talks to the loyalty engine (campaigns + members).

Kept behind this module so the wallet works, and is tested, on its own; until
the loyalty services exist, awarding points is a no-op."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from members.models import Member

_loyalty: Any
try:
    _loyalty = importlib.import_module("campaigns.loyalty")
except ModuleNotFoundError:  # the loyalty engine has not landed
    _loyalty = None


@dataclass
class LoyaltyResult:
    points_earned: int = 0
    explanation: list[str] = field(default_factory=list)


def award_for_paid_order(
    *,
    member: Member,
    amount: int,
    reference: str,
    store_slug: str | None,
    at: datetime,
    lines: list[Any] | None = None,
) -> LoyaltyResult:
    if _loyalty is None or not hasattr(_loyalty, "loyalty_on_paid_order"):
        return LoyaltyResult()
    outcome = _loyalty.loyalty_on_paid_order(
        member=member, amount=amount, reference=reference, store_slug=store_slug, at=at, lines=lines
    )
    return LoyaltyResult(points_earned=outcome.points_earned, explanation=list(outcome.explanation))


def reverse_for_refund(
    *, member: Member, reference: str, refund_amount: int, original_amount: int, refund_reference: str
) -> None:
    if _loyalty is None or not hasattr(_loyalty, "loyalty_on_refund"):
        return
    _loyalty.loyalty_on_refund(
        member=member,
        reference=reference,
        refund_amount=refund_amount,
        original_amount=original_amount,
        refund_reference=refund_reference,
    )
