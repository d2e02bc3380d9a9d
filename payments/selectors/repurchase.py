"""The repurchase and frequency report's figures: do members come back, and
how long between their visits, for one store or all, by store and by tier.

Days are the programme's calendar days (TIME_ZONE); a visit is one paid order
(members.Visit). The rules, as the report page states them:

- Cohort: the members with a visit in the chosen period. Their first visit in
  the period is where they are counted from.
- Came back within N days: a later visit on a later day, at most N days after
  that first visit. Only members whose N days have fully passed by yesterday
  are counted (so a share never grows as its window runs out): for each N the
  report shows how many members it counted.
- Days between visits: for each visit in the period, the days since the
  member's visit before it (however long ago); a first-ever visit has none.
- With a store chosen, and in the by-store rows, only that store's visits
  count (did they come back to this store?). Tiers are the members' tiers now.

Two queries read the visits (those of the period's members from the period's
start to 90 days after its end, and the visit before the period of each); the
counting is done here, in one pass over them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Tier, Visit
from payments.models import Store

WINDOWS = (30, 60, 90)
# Histogram of days between visits: (first day, last day or None for "and more").
BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 6), (7, 13), (14, 29), (30, 59), (60, 89), (90, None))


@dataclass(frozen=True)
class RepurchaseQuery:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    store: Store | None = None

    def bound(self, day: date) -> datetime:
        return timezone.make_aware(datetime(day.year, day.month, day.day), timezone.get_default_timezone())


@dataclass(frozen=True)
class CameBack:
    days: int
    counted: int  # members whose N days have fully passed
    returned: int  # of those, came back within N days

    @property
    def share(self) -> float | None:
        return self.returned / self.counted if self.counted else None


@dataclass(frozen=True)
class Frequency:
    name: str
    members: int  # with a visit in the period
    came_back: list[CameBack]  # one per WINDOWS
    gaps: list[int]  # days between visits, sorted

    @property
    def median_gap(self) -> float | None:
        n = len(self.gaps)
        if not n:
            return None
        middle = n // 2
        return float(self.gaps[middle]) if n % 2 else (self.gaps[middle - 1] + self.gaps[middle]) / 2

    @property
    def histogram(self) -> list[int]:
        return [sum(1 for gap in self.gaps if low <= gap and (high is None or gap <= high)) for low, high in BUCKETS]


@dataclass(frozen=True)
class RepurchaseReport:
    query: RepurchaseQuery
    today: date
    total: Frequency
    stores: list[Frequency]
    tiers: list[Frequency]


def bucket_labels() -> list[str]:
    """Short enough for a chart's axis; the axis title says they are days."""
    return [f"{low}–{high}" if high is not None else f"{low}+" for low, high in BUCKETS]


def _day(value: datetime) -> date:
    return timezone.localtime(value, timezone.get_default_timezone()).date()


class _Tally:
    """The visits of one group (all, one store, one tier), member by member."""

    def __init__(self) -> None:
        self.days: dict[int, list[date]] = defaultdict(list)  # member → visit days, oldest first
        self.before: dict[int, date] = {}  # member → day of the last visit before the period

    def frequency(self, name: str, query: RepurchaseQuery, today: date) -> Frequency:
        counted = dict.fromkeys(WINDOWS, 0)
        returned = dict.fromkeys(WINDOWS, 0)
        gaps: list[int] = []
        members = 0
        for member, days in self.days.items():
            in_period = [d for d in days if query.start <= d <= query.end]
            if not in_period:
                continue
            members += 1
            first = in_period[0]
            later = [d for d in days if d > first]
            for window in WINDOWS:
                if first + timedelta(days=window) < today:  # the window's last day is over
                    counted[window] += 1
                    returned[window] += bool(later and (later[0] - first).days <= window)
            previous = self.before.get(member)
            for day in days:
                if day > query.end:
                    break
                if previous is not None and day >= query.start:
                    gaps.append((day - previous).days)
                previous = day
        came_back = [CameBack(w, counted[w], returned[w]) for w in WINDOWS]
        return Frequency(name=name, members=members, came_back=came_back, gaps=sorted(gaps))


def _visits(query: RepurchaseQuery) -> tuple[Iterable[tuple], Iterable[tuple]]:
    start, after = query.bound(query.start), query.bound(query.end) + timedelta(days=1)
    store = Q(store_slug=query.store.slug) if query.store else Q()
    in_period = Visit.objects.filter(store, member=OuterRef("member"), at__gte=start, at__lt=after)
    visits = (
        Visit.objects.filter(store, Exists(in_period), at__gte=start, at__lt=after + timedelta(days=max(WINDOWS)))
        .order_by("member_id", "at")
        .values_list("member_id", "at", "store_slug", "member__tier_id")
    )
    before = (
        Visit.objects.filter(store, Exists(in_period), at__lt=start)
        .values("member_id", "store_slug")
        .annotate(last=Max("at"))
        .order_by()
        .values_list("member_id", "store_slug", "last")
    )
    return visits, before


def repurchase_report(*, query: RepurchaseQuery, now: datetime | None = None) -> RepurchaseReport:
    """The whole report for one store (or all) and the period's members. Four queries."""
    today = _day(now or timezone.now())
    visits, before = _visits(query)
    total = _Tally()
    stores: defaultdict[str, _Tally] = defaultdict(_Tally)
    tiers: defaultdict[int | None, _Tally] = defaultdict(_Tally)
    tier_of: dict[int, int | None] = {}
    for member, at, slug, tier in visits:
        day = _day(at)
        tier_of[member] = tier
        for tally in (total, stores[slug], tiers[tier]):
            tally.days[member].append(day)
    for member, slug, last in before:
        day = _day(last)
        stores[slug].before[member] = day
        for tally in (total, tiers[tier_of.get(member)]):
            if tally.before.get(member, date.min) < day:
                tally.before[member] = day
    store_names = dict(Store.objects.filter(slug__in=list(stores)).values_list("slug", "name"))
    tier_rows: dict[int | None, tuple[int, str]] = {
        pk: (rank, name) for pk, rank, name in Tier.objects.values_list("pk", "rank", "name")
    }
    by_store = [
        stores[slug].frequency(store_names.get(slug) or slug or _("No store"), query, today)
        for slug in sorted(stores, key=lambda s: store_names.get(s) or s or "~")
    ]
    by_tier = [
        tiers[tier].frequency(tier_rows[tier][1] if tier in tier_rows else _("No tier"), query, today)
        for tier in sorted(tiers, key=lambda t: tier_rows.get(t, (-1, ""))[0])
    ]
    name = query.store.name if query.store else _("All stores")
    return RepurchaseReport(
        query=query,
        today=today,
        total=total.frequency(name, query, today),
        stores=[row for row in by_store if row.members],
        tiers=[row for row in by_tier if row.members],
    )
