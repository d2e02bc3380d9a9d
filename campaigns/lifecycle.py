"""Lifecycle campaigns (welcome, win-back, segment offers) with a holdout group.

`campaigns_run` is the periodic job (`manage.py run_campaigns`, also the
"Run now" action in the admin). Every eligible member enters an active campaign
once: most get the campaign's coupon (and an inbox notice, emailed only with
marketing consent); a fixed share, the holdout (drawn in campaigns.holdout),
get nothing. Comparing how many in each group visited within the campaign's
conversion window measures what the campaign did, rather than what members
would have done anyway.

A/B variants: a campaign may have variants (campaigns.CampaignVariant), each
with its own coupon and/or message and a weight; a sent member gets one, by
a stable hash of the pair (`variant_pick`), recorded on the entry. Without
variants everyone sent gets the campaign's own coupon and message.

Consent: win-back and segment campaigns pick members by their order history,
so they reach only members who agreed to personalised offers (on any
channel). Welcome campaigns need no such consent.

Who is eligible (`eligible_members`) and what a campaign achieved
(`campaign_result`) are reads, in campaigns.selectors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.holdout import holdout_bucket
from campaigns.models import Campaign, CampaignEntry, CampaignVariant
from campaigns.selectors import campaigns_active, eligible_members
from members.models import Member
from members.notices import notice_send


def variant_pick(*, campaign_id: int, member_id: int, variants: list[CampaignVariant]) -> CampaignVariant | None:
    """The variant a sent member gets, by weight, stable for a (campaign,
    member) pair. Its own hash, independent of the holdout bucket, so every
    variant draws from the same kind of member. None: no variants."""
    total = sum(v.weight for v in variants)
    if not total:
        return None
    digest = hashlib.sha256(f"campaign:{campaign_id}:member:{member_id}:variant".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in sorted(variants, key=lambda v: v.pk):
        if point < variant.weight:
            return variant
        point -= variant.weight
    raise AssertionError("unreachable: the point is below the total weight")


@dataclass(frozen=True)
class CampaignRun:
    campaign: Campaign
    treatment: int
    holdout: int


def campaign_enter(
    *, campaign: Campaign, member: Member, now: datetime, variants: list[CampaignVariant] | None = None
) -> CampaignEntry | None:
    """Enter one member (None if already in): holdout records only the entry;
    treatment also picks a variant (if the campaign has any) and issues its
    coupon and message, in the same transaction. `variants`: the campaign's,
    when the caller has read them once for a whole run."""
    in_holdout = holdout_bucket(campaign_id=campaign.pk, member_id=member.pk) < campaign.holdout_percent
    if variants is None:
        variants = list(campaign.variants.all())
    variant = None if in_holdout else variant_pick(campaign_id=campaign.pk, member_id=member.pk, variants=variants)
    try:
        with transaction.atomic():
            entry = CampaignEntry.objects.create(
                campaign=campaign,
                member=member,
                group=CampaignEntry.Group.HOLDOUT if in_holdout else CampaignEntry.Group.TREATMENT,
                entered_at=now,
                variant=variant,
            )
            if not in_holdout:
                template = variant.coupon_template if variant and variant.coupon_template else campaign.coupon_template
                message = variant.message if variant and variant.message else campaign.message
                entry.coupon = coupon_issue(member=member, template=template, source=f"campaign:{campaign.pk}", now=now)
                entry.save(update_fields=["coupon"])
                if message:
                    notice_send(member=member, kind="offer", title=message[:160], link="/offers/")
            return entry
    except IntegrityError:  # entered by a concurrent run
        return None


def campaign_run(*, campaign: Campaign, now: datetime | None = None) -> CampaignRun:
    now = now or timezone.now()
    treatment = holdout = 0
    variants = list(campaign.variants.select_related("coupon_template"))
    for member in eligible_members(campaign=campaign, now=now).iterator(chunk_size=500):
        entry = campaign_enter(campaign=campaign, member=member, now=now, variants=variants)
        if entry is None:
            continue
        if entry.group == CampaignEntry.Group.HOLDOUT:
            holdout += 1
        else:
            treatment += 1
    return CampaignRun(campaign=campaign, treatment=treatment, holdout=holdout)


def campaigns_run(*, now: datetime | None = None) -> list[CampaignRun]:
    """Run every active campaign whose window is open. Idempotent."""
    now = now or timezone.now()
    return [campaign_run(campaign=campaign, now=now) for campaign in campaigns_active(now=now)]
