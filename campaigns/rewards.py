from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.coupons import coupon_issue
from campaigns.exceptions import RewardUnavailable
from campaigns.models import Coupon, Reward
from members.models import Member
from members.points import points_spend


def reward_redeem(*, member: Member, reward: Reward) -> Coupon:
    """Spend the points and issue the coupon in one transaction: never one
    without the other."""
    if not reward.is_active or not reward.template.is_active:
        raise RewardUnavailable(_("This reward is not available right now."))
    with transaction.atomic():
        coupon = coupon_issue(member=member, template=reward.template, source="reward")
        points_spend(
            member=member, points=reward.points_cost, source=f"Reward: {reward.name}", reference=f"coupon:{coupon.code}"
        )
        return coupon
