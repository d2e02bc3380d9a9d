"""Tiers: qualify by points earned or visits over a rolling 12 months; move up
at once, move down only at the review date after a grace period; managers may
override with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import django.dispatch
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from cafe_loyalty.core.rows import row_insert
from members.models import Member, PointsPolicy, Tier, Visit, tiers_by_rank
from members.notices import EMAIL_CONSENT_PURPOSES, consents_remember, notice_data, notice_send, notice_text
from members.selectors import (
    QUALIFYING_WINDOW,
    MemberActivity,
    Qualification,
    member_activity,
    qualification,
    qualifying_tier,
    tier_of,
)

# Sent when a member's tier changes: kwargs member, old_tier, new_tier, reason.
tier_changed = django.dispatch.Signal()


def member_record_visit(*, member: Member, amount: int, at: datetime, reference: str, store_slug: str = "") -> None:
    """Count a visit for the order: one per order, however often the order is
    touched (a second call for the same reference changes nothing)."""
    row_insert(
        Visit(member=member, amount=amount, at=at, reference=reference, store_slug=store_slug or ""),
        ignore_conflicts=True,
    )


def member_lock_for_order(*, member: Member, at: datetime, reference: str) -> MemberActivity:
    """Lock the member row and refresh `member` in place with the counts, in one
    query, so the paid-order services share one fresh, locked instance."""
    fresh, activity = member_activity(
        member=member, at=at, reference=reference, for_update=True, email_purposes=EMAIL_CONSENT_PURPOSES
    )
    for field in Member._meta.concrete_fields:
        setattr(member, field.attname, getattr(fresh, field.attname))
    # The order's receipt is emailed if the member agreed: known now, not asked again.
    consents_remember(member, {("email", purpose): v for purpose, v in activity.email_consents.items()})
    return activity


@dataclass(frozen=True)
class TierChange:
    old: Tier | None
    new: Tier | None


def tier_evaluate(
    *,
    member: Member,
    now: datetime | None = None,
    qualification_now: Qualification | None = None,
    already_locked: bool = False,
) -> TierChange | None:
    """Move the member to the tier their last 12 months qualify for: up at
    once, down only after the review date and the grace period.

    The paid-order path passes the member it has locked and the qualification
    it already knows, so a payment that changes no tier costs no query here."""
    now = now or timezone.now()
    tiers = tiers_by_rank()
    if not tiers:
        return None
    with transaction.atomic(savepoint=False):
        locked = member if already_locked else Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
        if locked.tier_override_until and locked.tier_override_until >= timezone.localdate(now):
            return None
        q = qualification_now or qualification(member=locked, now=now)
        target = qualifying_tier(tiers=tiers, q=q) or tiers[0]
        current = tier_of(locked)
        if current is not None and target.rank == current.rank:
            return None
        if current is not None and target.rank < current.rank:
            grace = timedelta(days=PointsPolicy.current().tier_grace_days)
            if locked.tier_review_at is None or now < locked.tier_review_at + grace:
                return None  # downgrades wait for the review date and the grace period
        locked.tier = target
        locked.tier_since = now
        locked.tier_review_at = now + QUALIFYING_WINDOW  # by then none of today's qualification counts
        locked.save(update_fields=["tier", "tier_since", "tier_review_at"])
        going_up = current is None or target.rank > current.rank
        if current is not None:
            title = (
                notice_text(gettext_noop("Welcome to %(tier)s"), tier=notice_data(target, "name"))
                if going_up
                else notice_text(gettext_noop("Your tier is now %(tier)s"), tier=notice_data(target, "name"))
            )
            notice_send(member=locked, kind="tier", title=title, body=notice_data(target, "perks"), link="/")
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
        notice_send(
            member=member,
            kind="tier",
            title=notice_text(gettext_noop("Your tier is now %(tier)s"), tier=notice_data(tier, "name")),
            body=reason,
            link="/",
        )
        transaction.on_commit(
            lambda: tier_changed.send(sender=Member, member=member, old_tier=old, new_tier=tier, reason="override")
        )


def tiers_review_due(*, now: datetime | None = None) -> int:
    """The nightly job: re-evaluate members whose review date has passed."""
    now = now or timezone.now()
    changed = 0
    for member in Member.objects.filter(tier_review_at__lte=now, anonymised_at__isnull=True).iterator():
        if tier_evaluate(member=member, now=now):
            changed += 1
    return changed
