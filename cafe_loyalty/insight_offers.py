"""What generate_insight_data (cafe_loyalty.insight_data) adds for the offers
report: three points promotions over the generated history, as a cafe runs
them, and the extra points each gave member orders. Two have a holdout, so
the report counts every member's group (campaigns.offer_promotions) at full
size. The awards follow each promotion's days, hours and store; who is in a
holdout is not drawn here (the bench times the report, it does not judge
the promotions)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings

from cafe_loyalty.insight_sql import insert_select
from campaigns.models import Promotion, PromotionAward
from payments.models import Store

# The generated history is about two years; the promotions ran for the last one.
RAN_FOR = timedelta(days=365)
# The programme's clock (a setting, not input), as the till applies days and hours.
LOCAL = f"paid_at AT TIME ZONE '{settings.TIME_ZONE}'"


def write_promotions(*, order_base: int, now: datetime, store: Store) -> int:
    """The promotions and their awards; returns how many awards."""
    since = now - RAN_FOR
    promotions = [
        (
            Promotion(name="Member day (bench)", multiplier_percent=200, weekdays="3", is_member_day=True),
            "extract(isodow FROM {local}) = 3",
            "points_earned",
            10,
        ),
        (
            Promotion(name="Afternoon +5 (bench)", bonus_points=5, start_time=time(14), end_time=time(16)),
            "extract(hour FROM {local}) BETWEEN 14 AND 15",
            "5",
            0,
        ),
        (
            Promotion(name=f"{store.name} +10 (bench)", bonus_points=10, store_slugs=store.slug, stackable=True),
            f"store_id = {store.pk}",
            "10",
            20,
        ),
    ]
    awards = 0
    for promotion, condition, points, holdout in promotions:
        promotion.starts_at, promotion.holdout_percent = since, holdout
        promotion.save()
        awards += insert_select(
            PromotionAward,
            {
                "promotion_id": str(promotion.pk),
                "member_id": "member_id",
                "reference": "'order:' || id",
                "points": points,
                "awarded_at": "paid_at",
            },
            f"FROM payments_order WHERE id > %s AND member_id IS NOT NULL AND status = 'paid'"  # noqa: S608
            f" AND points_earned > 0 AND paid_at >= %s AND {condition.format(local=LOCAL)}",
            [order_base, since],
        )
    return awards
