"""Tiers: qualify by points earned or visits over a rolling 12 months; move up
at once, move down only at the review date after a grace period; managers may
override with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import django.dispatch
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from members.models import Member, PointsEntry, PointsPolicy, Tier, Visit, tiers_by_rank
from members.notices import notice_send, notice_text
from members.selectors import YEAR, Qualification, qualification, qualifying_tier, tier_of

# Sent when a member's tier changes: kwargs member, old_tier, new_tier, reason.
tier_changed = django.dispatch.Signal()


def member_record_visit(*, member: Member, amount: int, at: datetime, reference: str, store_slug: str = "") -> None:
    """Count a visit for the order: one per order, however often the order is
    touched (a second call for the same reference changes nothing)."""
    Visit.objects.bulk_create(
        [Visit(member=member, amount=amount, at=at, reference=reference, store_slug=store_slug or "")],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class OrderActivity:
    """What the paid-order path needs to know about a member, read together
    with the member row lock: points earned from orders today (for the daily
    cap), the 12-month qualification before this order, whether this order's
    visit is already counted, and whether this is the member's first order."""

    order_points_today: int
    before: Qualification
    visit_counted: bool
    first_order: bool

    def after(self, *, points_earned: int) -> Qualification:
        return Qualification(
            points_12m=max(self.before.points_12m + points_earned, 0),
            visits_12m=self.before.visits_12m + (0 if self.visit_counted else 1),
        )


# One statement on the payment hot path: the member row (locked where the
# database can), plus the counts the order's points, tier and referral need.
# Written as SQL because the ORM spends milliseconds compiling four correlated
# subqueries, on every payment.
_ORDER_ACTIVITY_SQL = """
SELECT m.*,
  COALESCE((SELECT SUM(e.points) FROM {entry} e
            WHERE e.member_id = m.id AND e.kind = %s AND e.source = 'order' AND e.created_at >= %s), 0)
    AS order_points_today,
  COALESCE((SELECT SUM(e.points) FROM {entry} e
            WHERE e.member_id = m.id AND e.kind IN (%s, %s) AND e.created_at > %s), 0) AS points_12m,
  (SELECT COUNT(*) FROM {visit} v WHERE v.member_id = m.id AND v.at > %s) AS visits_12m,
  EXISTS(SELECT 1 FROM {visit} v WHERE v.member_id = m.id AND v.reference = %s) AS visit_counted,
  EXISTS(SELECT 1 FROM {visit} v WHERE v.member_id = m.id AND v.reference <> %s) AS visited_before
FROM {member} m WHERE m.id = %s
"""


def member_lock_for_order(*, member: Member, at: datetime, reference: str) -> OrderActivity:
    """Lock the member row and refresh `member` in place with the counts, in one
    query, so the paid-order services share one fresh, locked instance."""
    adapt = connection.ops.adapt_datetimefield_value
    since = adapt(at - YEAR)
    day_start = adapt(timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0))
    sql = _ORDER_ACTIVITY_SQL.format(
        entry=PointsEntry._meta.db_table, visit=Visit._meta.db_table, member=Member._meta.db_table
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF m"
    params = [
        PointsEntry.Kind.EARN.value,
        day_start,
        PointsEntry.Kind.EARN.value,
        PointsEntry.Kind.REVERSE.value,
        since,
        since,
        reference,
        reference,
        member.pk,
    ]
    fresh = next(iter(Member.objects.raw(sql, params)))
    for field in Member._meta.concrete_fields:
        setattr(member, field.attname, getattr(fresh, field.attname))
    counts = vars(fresh)  # the extra columns land as instance attributes
    return OrderActivity(
        order_points_today=int(counts["order_points_today"]),
        before=Qualification(points_12m=max(int(counts["points_12m"]), 0), visits_12m=int(counts["visits_12m"])),
        visit_counted=bool(counts["visit_counted"]),
        first_order=not counts["visited_before"],
    )


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
        locked.tier_review_at = now + YEAR
        locked.save(update_fields=["tier", "tier_since", "tier_review_at"])
        going_up = current is None or target.rank > current.rank
        if current is not None:
            title = (
                notice_text(gettext_noop("Welcome to %(tier)s"), tier=target.name)
                if going_up
                else notice_text(gettext_noop("Your tier is now %(tier)s"), tier=target.name)
            )
            notice_send(member=locked, kind="tier", title=title, body=target.perks, link="/")
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
            title=notice_text(gettext_noop("Your tier is now %(tier)s"), tier=tier.name),
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
