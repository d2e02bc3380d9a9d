"""Satisfaction feedback: a member rates one of their own orders, once."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from campaigns.models import OrderFeedback
from members.models import Member, Visit


def order_feedback_give(*, member: Member, visit: Visit, rating: int, comment: str = "") -> OrderFeedback | None:
    """Record the rating of the order behind `visit` (the member's own); None
    when the order was already rated (a double submit changes nothing)."""
    if visit.member_id != member.pk:
        raise ValueError("members rate their own orders only")
    try:
        with transaction.atomic():
            return OrderFeedback.objects.create(
                member=member,
                order_reference=visit.reference,
                store_slug=visit.store_slug,
                rating=rating,
                comment=comment,
            )
    except IntegrityError:  # feedback_once_per_order
        return None
