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
start to 90 days after its end, as day numbers, and the visit before the
period of each); the counting is done here, in one pass over them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.clock import LocalDayNumber, day_number
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


class _Tally:
    """The visits of one group (all, one store, one tier), member by member;
    days are day numbers (cafe_loyalty.core.clock.day_number)."""

    def __init__(self) -> None:
        self.days: dict[int, list[int]] = defaultdict(list)  # member → visit days, oldest first
        self.before: dict[int, int] = {}  # member → day of the last visit before the period

    def frequency(self, name: str, query: RepurchaseQuery, today: date) -> Frequency:
        start, end, today_number = day_number(query.start), day_number(query.end), day_number(today)
        counted = dict.fromkeys(WINDOWS, 0)
        returned = dict.fromkeys(WINDOWS, 0)
        gaps: list[int] = []
        members = 0
        for member, days in self.days.items():
            in_period = [d for d in days if start <= d <= end]
            if not in_period:
                continue
            members += 1
            first = in_period[0]
            later = [d for d in days if d > first]
            for window in WINDOWS:
                if first + window < today_number:  # the window's last day is over
                    counted[window] += 1
                    returned[window] += bool(later and later[0] - first <= window)
            previous = self.before.get(member)
            for day in days:
                if day > end:
                    break
                if previous is not None and day >= start:
                    gaps.append(day - previous)
                previous = day
        came_back = [CameBack(w, counted[w], returned[w]) for w in WINDOWS]
        return Frequency(name=name, members=members, came_back=came_back, gaps=sorted(gaps))


def _visits(query: RepurchaseQuery) -> tuple[Iterable[tuple], Iterable[tuple]]:
    """The period's members' visits from its start to 90 days after its end,
    and for each (member, store) of the period the day of the member's last
    visit before it there and anywhere (with a store chosen, only there):
    two index probes a pair (Visit's (member, at) index), not a pass over
    every earlier visit."""
    start, after = query.bound(query.start), query.bound(query.end) + timedelta(days=1)
    store = Q(store_slug=query.store.slug) if query.store else Q()
    in_period = Visit.objects.filter(store, member=OuterRef("member"), at__gte=start, at__lt=after)
    visits = (
        Visit.objects.filter(store, Exists(in_period), at__gte=start, at__lt=after + timedelta(days=max(WINDOWS)))
        .order_by("member_id", "at")
        .values_list("member_id", LocalDayNumber("at"), "store_slug", "member__tier_id")
    )
    earlier = Visit.objects.filter(store, member=OuterRef("member_id"), at__lt=start).order_by("-at")
    # One visit of each (member, store) of the period: the probes run once a pair, not once a visit.
    one_a_pair = (
        Visit.objects.filter(store, at__gte=start, at__lt=after)
        .values("member_id", "store_slug")
        .annotate(one=Min("pk"))
        .values("one")
    )
    before = (
        Visit.objects.filter(pk__in=one_a_pair)
        .annotate(
            here=Subquery(earlier.filter(store_slug=OuterRef("store_slug")).values(day=LocalDayNumber("at"))[:1]),
            anywhere=Subquery(earlier.values(day=LocalDayNumber("at"))[:1]),
        )
        .values_list("member_id", "store_slug", "here", "anywhere")
    )
    return visits, before


def repurchase_report(*, query: RepurchaseQuery, now: datetime | None = None) -> RepurchaseReport:
    """The whole report for one store (or all) and the period's members. Four queries."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    visits, before = _visits(query)
    total = _Tally()
    stores: defaultdict[str, _Tally] = defaultdict(_Tally)
    tiers: defaultdict[int | None, _Tally] = defaultdict(_Tally)
    tier_of: dict[int, int | None] = {}
    for member, day, slug, tier in visits:
        tier_of[member] = tier
        for tally in (total, stores[slug], tiers[tier]):
            tally.days[member].append(day)
    for member, slug, here, anywhere in before:
        if here is not None:
            stores[slug].before[member] = here
        if anywhere is not None:
            total.before[member] = tiers[tier_of.get(member)].before[member] = anywhere
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
