"""The till's view of the loyalty engine (campaigns + members)."""

from __future__ import annotations

from campaigns.coupons import coupon_evaluate, coupon_redeem, coupon_release
from campaigns.earning import QuoteLine, points_quote
from members.models import PointsPolicy
from members.points import points_spend

__all__ = [
    "QuoteLine",
    "coupon_evaluate",
    "coupon_redeem",
    "coupon_release",
    "point_value",
    "points_quote",
    "points_spend",
]


def point_value() -> int:
    """Minor units one point pays for at the till (manager-set)."""
    return PointsPolicy.current().point_value
