"""Reads for members (querysets, summaries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from members.models import Consent, Member, PointsEntry, PointsLot, Tier, Visit, tiers_by_rank

# Tiers qualify on a rolling 12 months.
YEAR = timedelta(days=365)


def member_for_user(*, user: Any) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).first()


def member_by_card_number(*, card_number: str) -> Member | None:
    return Member.objects.filter(card_number=card_number, anonymised_at__isnull=True).first()


def consent_current(*, member: Member) -> dict[tuple[str, str], bool]:
    """Current choice per (channel, purpose); absent means never granted."""
    current: dict[tuple[str, str], bool] = {}
    for channel, purpose, granted in (
        Consent.objects.filter(member=member).order_by("recorded_at", "pk").values_list("channel", "purpose", "granted")
    ):
        current[(channel, purpose)] = granted
    return current


def consent_granted(*, member: Member, channel: str, purpose: str) -> bool:
    return consent_current(member=member).get((channel, purpose), False)


# --- Tiers -----------------------------------------------------------------------


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


def tier_of(member: Member) -> Tier | None:
    """The member's tier from the per-process tier list (no query)."""
    if member.tier_id is None:
        return None
    for tier in tiers_by_rank():
        if tier.pk == member.tier_id:
            return tier
    return Tier.objects.filter(pk=member.tier_id).first()  # created after the memo


def tier_multiplier_percent(*, member: Member) -> int:
    tier = tier_of(member)
    return tier.multiplier_percent if tier else 100


@dataclass(frozen=True)
class TierProgress:
    tier: str
    next_tier: str | None
    points_12m: int
    visits_12m: int
    points_needed: int
    visits_needed: int
    percent: int
    hint: str


def tier_progress(*, member: Member, now: datetime) -> TierProgress:
    q = qualification(member=member, now=now)
    tiers = tiers_by_rank()
    current = tier_of(member) or (tiers[0] if tiers else None)
    higher = [t for t in tiers if current is None or t.rank > current.rank]
    nxt = higher[0] if higher else None
    if nxt is None:
        return TierProgress(str(current or "Member"), None, q.points_12m, q.visits_12m, 0, 0, 100, "")
    points_needed = max(nxt.min_points_12m - q.points_12m, 0)
    visits_needed = max(nxt.min_visits_12m - q.visits_12m, 0) if nxt.min_visits_12m else 0
    by_points = q.points_12m * 100 // nxt.min_points_12m if nxt.min_points_12m else 0
    by_visits = q.visits_12m * 100 // nxt.min_visits_12m if nxt.min_visits_12m else 0
    percent = min(max(by_points, by_visits), 100)
    if nxt.min_visits_12m:
        hint = _("%(points)s more points or %(visits)s more visits to reach %(tier)s.") % {
            "points": points_needed,
            "visits": visits_needed,
            "tier": nxt.name,
        }
    else:
        hint = _("%(points)s more points to reach %(tier)s.") % {"points": points_needed, "tier": nxt.name}
    return TierProgress(str(current), nxt.name, q.points_12m, q.visits_12m, points_needed, visits_needed, percent, hint)


def points_problems() -> list[str]:
    """check_points: each member's cached balance equals the sum of their entries
    and of their unexpired lots' remaining."""
    entries = PointsEntry.objects.filter(member=OuterRef("pk")).values("member").annotate(s=Sum("points")).values("s")
    lots = (
        PointsLot.objects.filter(member=OuterRef("pk"), remaining__gt=0)
        .values("member")
        .annotate(s=Sum("remaining"))
        .values("s")
    )
    rows = Member.objects.annotate(
        entries_sum=Coalesce(Subquery(entries), 0), lots_sum=Coalesce(Subquery(lots), 0)
    ).values_list("pk", "card_number", "points_balance", "entries_sum", "lots_sum")
    problems = []
    for pk, card, balance, entries_sum, lots_sum in rows.iterator():
        if not balance == entries_sum == lots_sum:
            problems.append(f"member {pk} ({card}): balance {balance}, entries {entries_sum}, lots {lots_sum}")
    return problems
