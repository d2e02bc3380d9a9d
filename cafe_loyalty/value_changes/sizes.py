"""How much value a change creates, and when that needs a second manager."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Sum

from cafe_loyalty.core.clock import local_day_start
from cafe_loyalty.models import ValueChange
from campaigns.models import CouponTemplate
from members.models import Member
from payments.selectors.menu import menu_highest_unit_price


def coupon_value(template: CouponTemplate) -> int | None:
    """The most one coupon of this template can take off an order, in minor
    units; None when nothing bounds it: a percentage of any order, or "buy X
    get Y", which repeats for every X + Y items on the order."""
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF:
        return template.amount_off
    if template.kind == CouponTemplate.Kind.PERCENT_OFF:
        return None if template.percent_off else 0
    if template.kind == CouponTemplate.Kind.BUY_X_GET_Y:
        return None if template.get_quantity else 0
    return menu_highest_unit_price(category_slug=template.scope_category, sku=template.scope_sku)


def own_total_today(*, kind: str, requester: Any, now: Any) -> int:
    """What this person has applied of this kind today on their own authority
    (no approver)."""
    done = ValueChange.objects.filter(
        kind=kind,
        requested_by=requester,
        status=ValueChange.Status.APPLIED,
        decided_by__isnull=True,
        requested_at__gte=local_day_start(now),
    )
    return int(done.aggregate(total=Sum("size"))["total"] or 0)


def needs_second_manager(*, kind: str, size: int | None, member: Member | None, requester: Any, now: Any) -> bool:
    """A change of a member's coupons or points needs a second manager when
    its size, with the person's own changes of the kind today, passes the
    threshold, when it has no upper bound, or when it is for the person's own
    member account (nobody gives themselves value)."""
    if member is not None and member.user_id is not None and member.user_id == requester.pk:
        return True
    if size is None:
        return True
    points = kind == ValueChange.Kind.POINTS_ADJUSTMENT
    threshold = settings.CAFE_FOUR_EYES_POINTS if points else settings.CAFE_FOUR_EYES_COUPON_VALUE
    return own_total_today(kind=kind, requester=requester, now=now) + abs(size) > threshold
