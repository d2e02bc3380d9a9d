from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver
from django.http import HttpRequest

from campaigns.coupons import coupon_issue
from campaigns.exceptions import ReferralRefused
from campaigns.models import CouponTemplate, MemberSegment, MemberValue
from campaigns.referrals import referral_attach
from members.services import member_anonymised, member_get_or_create_for_user
from members.tiers import tier_changed

REFERRAL_SESSION_KEY = "referral_code"
log = logging.getLogger(__name__)


@receiver(user_signed_up)
def attach_referral_on_signup(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    code = request.session.pop(REFERRAL_SESSION_KEY, None) if hasattr(request, "session") else None
    if not code:
        return
    member = member_get_or_create_for_user(user=user)
    try:
        referral_attach(friend=member, code=code, device_id=request.COOKIES.get("csrftoken", "")[:64])
    except ReferralRefused as exc:
        log.info("referral refused", extra={"member": member.pk, "reason": exc.detail})


def free_drink_template() -> CouponTemplate:
    # Not get_or_create: two members going up a tier at the same moment could
    # both create it (the name is not unique), and get() would then fail on
    # every later tier-up. The oldest one is the template.
    name = "Free drink (tier reward)"
    found = CouponTemplate.objects.filter(name=name).order_by("pk").first()
    if found is not None:
        return found
    return CouponTemplate.objects.create(
        name=name, kind=CouponTemplate.Kind.FREE_ITEM, valid_days=60, scope_category="coffee"
    )


@receiver(tier_changed)
def free_drink_on_tier_up(sender: Any, member: Any, old_tier: Any, new_tier: Any, **kwargs: Any) -> None:
    going_up = new_tier is not None and (old_tier is None or new_tier.rank > old_tier.rank)
    if going_up and old_tier is not None and new_tier.free_drink_on_tier_up:
        coupon_issue(member=member, template=free_drink_template(), source="tier_up")


@receiver(member_anonymised)
def forget_segment_of_deleted_member(sender: Any, member: Any, **kwargs: Any) -> None:
    """A deleted account keeps no profile: its RFM row and predicted value go at once."""
    MemberSegment.objects.filter(member=member).delete()
    MemberValue.objects.filter(member=member).delete()
