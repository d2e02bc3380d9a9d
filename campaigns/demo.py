"""Demo rules, coupons and rewards for `make run` (idempotent)."""

from datetime import time

from campaigns.models import Campaign, CouponTemplate, EarnRule, MemberSegment, Promotion, Reward
from campaigns.segments import segments_compute


def load_campaigns_demo() -> None:
    EarnRule.current()
    Promotion.objects.get_or_create(
        name="Double points Tuesday 14–17h",
        defaults={"multiplier_percent": 200, "weekdays": "2", "start_time": time(14), "end_time": time(17)},
    )
    Promotion.objects.get_or_create(
        name="Member day Wednesday: +10 points",
        defaults={"bonus_points": 10, "weekdays": "3", "is_member_day": True, "stackable": True},
    )
    CouponTemplate.objects.get_or_create(
        name="NT$30 off your order over NT$100",
        defaults={
            "kind": CouponTemplate.Kind.AMOUNT_OFF,
            "amount_off": 3_000,
            "min_spend": 10_000,
            "per_member_limit": 1,
        },
    )
    drip, _ = CouponTemplate.objects.get_or_create(
        name="Free drip coffee", defaults={"kind": CouponTemplate.Kind.FREE_ITEM, "scope_sku": "drip", "valid_days": 30}
    )
    pastry, _ = CouponTemplate.objects.get_or_create(
        name="Free pastry", defaults={"kind": CouponTemplate.Kind.FREE_ITEM, "scope_category": "food", "valid_days": 30}
    )
    drink, _ = CouponTemplate.objects.get_or_create(
        name="Any drink free",
        defaults={"kind": CouponTemplate.Kind.FREE_ITEM, "scope_category": "coffee", "valid_days": 30},
    )
    CouponTemplate.objects.get_or_create(
        name="Buy 2 get 1 free",
        defaults={"kind": CouponTemplate.Kind.BUY_X_GET_Y, "buy_quantity": 2, "get_quantity": 1},
    )
    for name, cost, template in [
        ("Pastry of your choice", 200, pastry),
        ("Drip coffee", 300, drip),
        ("Any drink", 500, drink),
    ]:
        Reward.objects.get_or_create(name=name, defaults={"points_cost": cost, "template": template})
    for name, kind, days, segment, template, holdout in [
        ("Welcome: a pastry on us", Campaign.Kind.WELCOME, 30, "", pastry, 10),
        ("We miss you: free drip coffee", Campaign.Kind.WIN_BACK, 60, "", drip, 20),
        ("Thank you, champions: any drink", Campaign.Kind.SEGMENT, 30, MemberSegment.Segment.CHAMPIONS, drink, 10),
    ]:
        Campaign.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "days": days,
                "segment": segment,
                "coupon_template": template,
                "holdout_percent": holdout,
            },
        )
    segments_compute()
