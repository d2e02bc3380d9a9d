"""What the loyalty engine does when an order is paid or refunded: the facade
payments calls (it may run inside the payment's transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from django.db import transaction
from django.db.models import Sum
from django.utils import translation

from campaigns.coupons import coupon_release
from campaigns.earning import QuoteLine, points_quote
from campaigns.models import PromotionAward
from campaigns.referrals import referral_qualify, referral_reverse
from members.models import Member, PointsRefundStep
from members.notices import member_language
from members.points import points_earn, points_reverse_for_refund
from members.tiers import member_lock_for_order, member_record_visit, tier_evaluate


@dataclass
class LoyaltyOutcome:
    points_earned: int = 0
    explanation: list[str] = field(default_factory=list)


def loyalty_on_paid_order(
    *,
    member: Member,
    amount: int,
    reference: str,
    store_slug: str | None,
    at: datetime,
    lines: list[QuoteLine] | None = None,
    zone: tzinfo | None = None,
) -> LoyaltyOutcome:
    """`zone`: the store's time zone (promotions' weekdays and hours)."""
    # One query locks the member and reads today's points and the 12-month
    # counts; earning, the visit and the tier review then reuse that instance.
    with transaction.atomic(savepoint=False):
        activity = member_lock_for_order(member=member, at=at, reference=reference)
        with translation.override(member_language(member)):  # the explanation is the member's to read
            quote = points_quote(
                member=member,
                lines=list(lines or []),
                total_paid=amount,
                store_slug=store_slug,
                at=at,
                order_points_today=activity.order_points_today,
                zone=zone,
            )
        points_earn(
            member=member,
            points=quote.points,
            source="order",
            reference=reference,
            explanation="\n".join(quote.explanation),
            earned_at=at,
            already_locked=True,
            notify=False,  # one purchase, one notice: the order's receipt says it
        )
        promotion_awards_record(member=member, reference=reference, at=at, points=quote.promotions)
        member_record_visit(member=member, amount=amount, at=at, reference=reference, store_slug=store_slug or "")
        tier_evaluate(
            member=member, now=at, qualification_now=activity.after(points_earned=quote.points), already_locked=True
        )
        if activity.first_order:  # referrals reward the friend's first paid order only
            referral_qualify(friend=member, reference=reference)
    return LoyaltyOutcome(points_earned=quote.points, explanation=quote.explanation)


def promotion_awards_record(*, member: Member, reference: str, at: datetime, points: dict[int, int]) -> None:
    """What each promotion added to the order, for the offers report (inside
    the order's transaction; a retried order writes nothing twice)."""
    if not points:
        return
    PromotionAward.objects.bulk_create(
        [
            PromotionAward(promotion_id=pk, member=member, reference=reference, points=extra, awarded_at=at)
            for pk, extra in points.items()
        ],
        ignore_conflicts=True,
    )


def loyalty_on_refund(
    *,
    member: Member,
    reference: str,
    refund_amount: int,
    original_amount: int,
    refund_reference: str,
    restore_share: tuple[int, int] | None = None,
) -> None:
    """Reverse what the order earned (and restore what it spent, see
    points_reverse_for_refund); a fully refunded order also gives up its
    referral reward and releases its coupons."""
    points_reverse_for_refund(
        member=member,
        reference=reference,
        refund_amount=refund_amount,
        original_amount=original_amount,
        refund_reference=refund_reference,
        restore_share=restore_share,
    )
    refunded_before = PointsRefundStep.objects.filter(reference=reference).aggregate(s=Sum("refund_amount"))["s"] or 0
    if refunded_before >= original_amount:
        referral_reverse(reference=reference)
        coupon_release(order_reference=reference)
