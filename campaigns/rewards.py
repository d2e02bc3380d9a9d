from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.coupons import coupon_issue, coupon_template_discount
from campaigns.earning import QuoteLine
from campaigns.exceptions import RewardUnavailable
from campaigns.models import Coupon, Reward
from campaigns.selectors import coupon_templates_for_codes
from members.exceptions import InsufficientPoints
from members.models import Member
from members.points import points_spend


def _check_available(reward: Reward) -> None:
    if not reward.is_active or not reward.template.is_active:
        raise RewardUnavailable(_("This reward is not available right now."))


def reward_redeem(*, member: Member, reward: Reward) -> Coupon:
    """Spend the points and issue the coupon in one transaction: never one
    without the other."""
    _check_available(reward)
    with transaction.atomic():
        coupon = coupon_issue(member=member, template=reward.template, source="reward")
        points_spend(
            member=member, points=reward.points_cost, source=f"Reward: {reward.name}", reference=f"coupon:{coupon.code}"
        )
        return coupon


def reward_preview(
    *, member: Member, reward: Reward, lines: list[QuoteLine], subtotal: int, other_code: str = ""
) -> int:
    """What redeeming `reward` now would take off these lines (beside the
    coupon `other_code`), shown on an order-ahead cart before any point is
    spent; the refusal redeeming it would meet (reward_redeem, then the
    coupon's own rules) otherwise."""
    _check_available(reward)
    if member.points_balance < reward.points_cost:
        raise InsufficientPoints(
            _("You have %(balance)s points; this needs %(points)s.")
            % {"balance": member.points_balance, "points": reward.points_cost}
        )
    others = list(coupon_templates_for_codes(codes=[other_code.strip().upper()])) if other_code.strip() else []
    return coupon_template_discount(template=reward.template, lines=lines, subtotal=subtotal, others=others)
