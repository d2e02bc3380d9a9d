"""Demo rules, coupons and rewards for `make run` (idempotent)."""

import random
from datetime import time, timedelta

from django.utils import timezone

from campaigns.clv.scoring import clv_compute
from campaigns.models import Campaign, CouponTemplate, EarnRule, MemberSegment, Promotion, Reward
from campaigns.segments import segments_compute
from members.models import Member, Visit
from members.services import member_create


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
    for (english, hant, hans), cost, template in [
        (("Pastry of your choice", "任選一款糕點", "任选一款糕点"), 200, pastry),
        (("Drip coffee", "手沖咖啡一杯", "手冲咖啡一杯"), 300, drip),
        (("Any drink", "任選飲品一杯", "任选饮品一杯"), 500, drink),
    ]:
        # A name in each of the programme's languages (django-modeltranslation's columns).
        reward, _ = Reward.objects.get_or_create(name_en=english, defaults={"points_cost": cost, "template": template})
        if not (getattr(reward, "name_zh_hant", "") and getattr(reward, "name_zh_hans", "")):
            Reward.objects.filter(pk=reward.pk).update(name_zh_hant=hant, name_zh_hans=hans)
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
    load_visit_history_demo()
    segments_compute()
    # CLV scores for the admin's member pages and segment list (a second on
    # the demo's few dozen guests; None when too little history to fit).
    clv_compute()


def load_visit_history_demo(guests: int = 48) -> None:
    """A year of visits for some demo guests, as if imported from the cafe's
    previous till system, so the segments and the retention report have
    something to show. Visits only: no wallet money or points are invented."""
    if Member.objects.filter(email__endswith="@guests.demo.cafe").exists():
        return
    rng = random.Random(2026)
    now = timezone.now()
    visits = []
    for i in range(guests):
        member = member_create(user=None, display_name=f"Guest {i + 1}", email=f"guest{i + 1}@guests.demo.cafe")
        habit = rng.choice([3, 6, 10, 20, 40])  # average days between visits
        away = rng.choice([0, 0, 0, 20, 45, 90, 150])  # days since they stopped coming
        start = rng.randint(60, 360)
        day = start
        while day > away:
            visits.append(
                Visit(
                    member=member,
                    at=now - timedelta(days=day, minutes=rng.randint(0, 600)),
                    amount=rng.randint(9, 32) * 1_000,
                    reference=f"import:{member.pk}:{day}",
                    store_slug="daan",
                )
            )
            day -= max(1, int(rng.expovariate(1 / habit)))
    Visit.objects.bulk_create(visits, batch_size=1000)
