"""Satisfaction feedback: a member rates one of their own orders, once; a
manager may reply, and a low rating opens a follow-up until it is handled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from campaigns.models import OrderFeedback
from members.models import Member, Notice, Visit
from members.notices import notice_send, notice_text

# Ratings at or below this open a follow-up on the admin's front page.
FOLLOW_UP_AT_MOST = 2


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
                follow_up=rating <= FOLLOW_UP_AT_MOST,
            )
    except IntegrityError:  # feedback_once_per_order
        return None


def order_feedback_reply(*, feedback_id: int, reply: str, by: Any) -> OrderFeedback:
    """Keep the manager's reply and put it in the member's inbox; the notice
    commits with the reply or not at all. A blank or unchanged reply changes
    nothing and sends nothing (saving the page twice tells the member once)."""
    text = reply.strip()
    with transaction.atomic():
        feedback = OrderFeedback.objects.select_for_update().select_related("member").get(pk=feedback_id)
        if not text or text == feedback.reply:
            return feedback
        feedback.reply, feedback.replied_at, feedback.replied_by = text, timezone.now(), by
        feedback.save(update_fields=["reply", "replied_at", "replied_by"])
        notice_send(
            member=feedback.member,
            kind=Notice.Kind.FEEDBACK,
            title=notice_text(gettext_noop("A reply to your %(rating)s★ rating"), rating=feedback.rating),
            body=text,
            link=reverse("campaigns:feedback", kwargs={"reference": feedback.order_reference}),
        )
    return feedback


def order_feedback_follow_ups_handle(*, feedback_ids: Iterable[int], by: Any) -> int:
    """Close the open follow-ups among `feedback_ids`; how many were closed
    (one already handled keeps who handled it first)."""
    return OrderFeedback.objects.filter(
        pk__in=list(feedback_ids), follow_up=True, follow_up_handled_at__isnull=True
    ).update(follow_up_handled_at=timezone.now(), follow_up_handled_by=by)
