"""Demo rules for `make run` (idempotent)."""

from datetime import time

from campaigns.models import EarnRule, Promotion


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
