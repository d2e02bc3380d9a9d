"""Campaigns' models, one module per concept (they refer to each other by
string, "campaigns.CouponTemplate"). Stores are referenced by slug: campaigns
sits below payments and may not import it."""

from campaigns.models.messages import Broadcast, BroadcastDelivery, Reminder
from campaigns.models.offers import BirthdayGrant, Coupon, CouponTemplate, OrderFeedback, Referral, ReferralCode, Reward
from campaigns.models.rules import (
    EarnRule,
    ProductBonus,
    Promotion,
    PromotionAward,
    active_product_bonuses,
    active_promotions,
)
from campaigns.models.segments import Campaign, CampaignEntry, CampaignVariant, MemberSegment
from campaigns.models.value import ClvFit, MemberValue

__all__ = [
    "EarnRule",
    "ProductBonus",
    "Promotion",
    "PromotionAward",
    "active_product_bonuses",
    "active_promotions",
    "CouponTemplate",
    "Coupon",
    "Reward",
    "ReferralCode",
    "Referral",
    "BirthdayGrant",
    "OrderFeedback",
    "MemberSegment",
    "Campaign",
    "CampaignEntry",
    "CampaignVariant",
    "ClvFit",
    "MemberValue",
    "Broadcast",
    "BroadcastDelivery",
    "Reminder",
]
