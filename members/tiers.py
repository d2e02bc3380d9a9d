"""Tiers: qualify by points earned or visits over a rolling 12 months; move up
at once, move down only at the review date after a grace period; managers may
override with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import django.dispatch
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from members.models import Member, PointsEntry, PointsPolicy, Tier, Visit
from members.services import notice_send

YEAR = timedelta(days=365)

# Sent when a member's tier changes: kwargs member, old_tier, new_tier, reason.
tier_changed = django.dispatch.Signal()


def member_record_visit(*, member: Member, amount: int, at: datetime, reference: str, store_slug: str = "") -> None:
    try:
        with transaction.atomic():
            Visit.objects.create(member=member, amount=amount, at=at, reference=reference, store_slug=store_slug or "")
    except IntegrityError:
        pass  # one visit per order, however often the order is touched


@dataclass(frozen=True)
class Qualification:
    points_12m: int
    visits_12m: int


def qualification(*, member: Member, now: datetime) -> Qualification:
    since = now - YEAR
    earned = PointsEntry.objects.filter(
        member=member, created_at__gt=since, kind__in=[PointsEntry.Kind.EARN, PointsEntry.Kind.REVERSE]
    ).aggregate(s=Sum("points"))["s"]
    visits = Visit.objects.filter(member=member, at__gt=since).count()
    return Qualification(points_12m=max(int(earned or 0), 0), visits_12m=visits)


def qualifying_tier(*, tiers: list[Tier], q: Qualification) -> Tier | None:
    best = None
    for tier in tiers:  # ordered by rank
        if q.points_12m >= tier.min_points_12m or (tier.min_visits_12m and q.visits_12m >= tier.min_visits_12m):
            best = tier
    return best


@dataclass(frozen=True)
class TierChange:
    old: Tier | None
    new: Tier | None


def tier_evaluate(*, member: Member, now: datetime | None = None) -> TierChange | None:
    now = now or timezone.now()
    tiers = list(Tier.objects.order_by("rank"))
    if not tiers:
        return None
    with transaction.atomic():
        locked = Member.objects.select_for_update(of=("self",)).select_related("tier").get(pk=member.pk)
        if locked.tier_override_until and locked.tier_override_until >= timezone.localdate(now):
            return None
        target = qualifying_tier(tiers=tiers, q=qualification(member=locked, now=now)) or tiers[0]
        current = locked.tier
        if current is not None and target.rank == current.rank:
            return None
        if current is not None and target.rank < current.rank:
            grace = timedelta(days=PointsPolicy.current().tier_grace_days)
            if locked.tier_review_at is None or now < locked.tier_review_at + grace:
                return None  # downgrades wait for the review date and the grace period
        locked.tier = target
        locked.tier_since = now
        locked.tier_review_at = now + YEAR
        locked.save(update_fields=["tier", "tier_since", "tier_review_at"])
        going_up = current is None or target.rank > current.rank
        if current is not None:
            verb = "Welcome to" if going_up else "Your tier is now"
            notice_send(member=locked, kind="tier", title=f"{verb} {target.name}", body=target.perks, link="/")
        change = TierChange(old=current, new=target)
        transaction.on_commit(
            lambda: tier_changed.send(
                sender=Member, member=locked, old_tier=current, new_tier=target, reason="qualified"
            )
        )
    member.tier = target
    return change


def tier_override(*, member: Member, tier: Tier, reason: str, until: date | None, actor: object = None) -> None:
    if not reason.strip():
        raise ValueError("a tier override needs a reason")
    with transaction.atomic():
        old = Member.objects.select_related("tier").get(pk=member.pk).tier
        Member.objects.filter(pk=member.pk).update(
            tier=tier, tier_override_until=until, tier_override_reason=reason[:200], tier_since=timezone.now()
        )
        notice_send(member=member, kind="tier", title=f"Your tier is now {tier.name}", body=reason, link="/")
        transaction.on_commit(
            lambda: tier_changed.send(sender=Member, member=member, old_tier=old, new_tier=tier, reason="override")
        )


def tier_multiplier_percent(*, member: Member) -> int:
    return member.tier.multiplier_percent if member.tier_id and member.tier else 100


def tiers_review_due(*, now: datetime | None = None) -> int:
    """The nightly job: re-evaluate members whose review date has passed."""
    now = now or timezone.now()
    changed = 0
    for member in Member.objects.filter(tier_review_at__lte=now, anonymised_at__isnull=True).iterator():
        if tier_evaluate(member=member, now=now):
            changed += 1
    return changed
