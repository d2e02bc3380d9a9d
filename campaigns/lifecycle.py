"""Lifecycle campaigns (welcome, win-back, segment offers) with a holdout group.

`campaigns_run` is the periodic job (`manage.py run_campaigns`, also the
"Run now" action in the admin). Every eligible member enters an active campaign
once: most get the campaign's coupon (and an inbox notice, emailed only with
marketing consent); a fixed share, the holdout, get nothing. Comparing how
many in each group visited within the campaign's conversion window measures
what the campaign did, rather than what members would have done anyway.

Consent: win-back and segment campaigns pick members by their order history,
so they reach only members who agreed to personalised offers (on any
channel). Welcome campaigns need no such consent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import Campaign, CampaignEntry
from members.models import Consent, Member, Visit
from members.notices import notice_send


def holdout_bucket(*, campaign_id: int, member_id: int) -> int:
    """0–99, stable for a (campaign, member) pair: reruns never move anyone
    between groups, and buckets are independent across campaigns."""
    digest = hashlib.sha256(f"campaign:{campaign_id}:member:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def _with_personalised_consent(members: QuerySet[Member]) -> QuerySet[Member]:
    """Members whose newest personalised-offers choice, on some channel, is yes."""
    newest = Consent.objects.filter(
        member=OuterRef("member"), channel=OuterRef("channel"), purpose=Consent.Purpose.PERSONALISED
    ).order_by("-recorded_at", "-pk")
    granted = Consent.objects.filter(member=OuterRef("pk"), purpose=Consent.Purpose.PERSONALISED, granted=True).filter(
        pk=newest.values("pk")[:1]
    )
    return members.filter(Exists(granted))


def eligible_members(*, campaign: Campaign, now: datetime) -> QuerySet[Member]:
    """Members the campaign would enter now (not yet entered)."""
    members = Member.objects.filter(anonymised_at__isnull=True).exclude(
        Exists(CampaignEntry.objects.filter(campaign=campaign, member=OuterRef("pk")))
    )
    cutoff = now - timedelta(days=campaign.days)
    if campaign.kind == Campaign.Kind.WELCOME:
        return members.filter(created_at__gte=cutoff)
    if campaign.kind == Campaign.Kind.WIN_BACK:
        lapsed = members.annotate(last_visit=Max("visits__at")).filter(last_visit__lt=cutoff)
        return _with_personalised_consent(lapsed)
    in_segment = members.filter(segment__segment=campaign.segment)
    return _with_personalised_consent(in_segment)


@dataclass(frozen=True)
class CampaignRun:
    campaign: Campaign
    treatment: int
    holdout: int


def campaign_enter(*, campaign: Campaign, member: Member, now: datetime) -> CampaignEntry | None:
    """Enter one member (None if already in): holdout records only the entry;
    treatment also issues the coupon, in the same transaction."""
    in_holdout = holdout_bucket(campaign_id=campaign.pk, member_id=member.pk) < campaign.holdout_percent
    try:
        with transaction.atomic():
            entry = CampaignEntry.objects.create(
                campaign=campaign,
                member=member,
                group=CampaignEntry.Group.HOLDOUT if in_holdout else CampaignEntry.Group.TREATMENT,
                entered_at=now,
            )
            if not in_holdout:
                entry.coupon = coupon_issue(
                    member=member, template=campaign.coupon_template, source=f"campaign:{campaign.pk}", now=now
                )
                entry.save(update_fields=["coupon"])
                if campaign.message:
                    notice_send(member=member, kind="offer", title=campaign.message[:160], link="/offers/")
            return entry
    except IntegrityError:  # entered by a concurrent run
        return None


def campaign_run(*, campaign: Campaign, now: datetime | None = None) -> CampaignRun:
    now = now or timezone.now()
    treatment = holdout = 0
    for member in eligible_members(campaign=campaign, now=now).iterator(chunk_size=500):
        entry = campaign_enter(campaign=campaign, member=member, now=now)
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
    active = Campaign.objects.filter(is_active=True, coupon_template__is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    return [campaign_run(campaign=campaign, now=now) for campaign in active.select_related("coupon_template")]


@dataclass(frozen=True)
class GroupResult:
    members: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.members if self.members else None


@dataclass(frozen=True)
class CampaignResult:
    treatment: GroupResult
    holdout: GroupResult

    @property
    def uplift_points(self) -> float | None:
        """Treatment conversion minus holdout conversion, in percentage points."""
        if self.treatment.rate is None or self.holdout.rate is None:
            return None
        return (self.treatment.rate - self.holdout.rate) * 100


def campaign_result(*, campaign: Campaign) -> CampaignResult:
    """Who visited within the conversion window after entering, per group."""
    window = timedelta(days=campaign.conversion_days)
    converted = Visit.objects.filter(
        member=OuterRef("member"), at__gt=OuterRef("entered_at"), at__lte=OuterRef("entered_at") + window
    )
    entries = campaign.entries.annotate(converted=Exists(converted)).values_list("group", "converted")
    counts = {(group, done): 0 for group in CampaignEntry.Group.values for done in (True, False)}
    for group, done in entries:
        counts[(group, bool(done))] += 1

    def result(group: str) -> GroupResult:
        return GroupResult(members=counts[(group, True)] + counts[(group, False)], converted=counts[(group, True)])

    return CampaignResult(treatment=result(CampaignEntry.Group.TREATMENT), holdout=result(CampaignEntry.Group.HOLDOUT))
