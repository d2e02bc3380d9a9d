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

The counting is done in the database (members.visit_returns): two
statements, one for the totals and tiers, one by store; no visit is read into
Python. Closed days come from the nightly summary (members.visit_gaps,
written by `summarise_sales`), the rest (today) from visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Tier
from members.visit_gaps import RETURN_WINDOWS, gap_summary
from members.visit_returns import VisitReturns, visit_returns
from payments.models import Store

WINDOWS = RETURN_WINDOWS
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
    gap_counts: dict[int, int]  # days between visits → how many visits

    @property
    def gap_total(self) -> int:
        return sum(self.gap_counts.values())

    @property
    def gaps(self) -> list[int]:
        """Every gap, sorted (for a small group: tests, a reader's check)."""
        return [gap for gap in sorted(self.gap_counts) for _ in range(self.gap_counts[gap])]

    def _gap_at(self, index: int) -> int:
        for gap in sorted(self.gap_counts):
            if index < self.gap_counts[gap]:
                return gap
            index -= self.gap_counts[gap]
        raise IndexError(index)

    @property
    def median_gap(self) -> float | None:
        n = self.gap_total
        if not n:
            return None
        middle = n // 2
        return float(self._gap_at(middle)) if n % 2 else (self._gap_at(middle - 1) + self._gap_at(middle)) / 2

    @property
    def histogram(self) -> list[int]:
        return [
            sum(count for gap, count in self.gap_counts.items() if low <= gap and (high is None or gap <= high))
            for low, high in BUCKETS
        ]


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


def _frequency(name: str, figures: VisitReturns | None) -> Frequency:
    figures = figures or VisitReturns()
    came_back = [CameBack(w, figures.counted.get(w, 0), figures.returned.get(w, 0)) for w in WINDOWS]
    return Frequency(name=name, members=figures.members, came_back=came_back, gap_counts=figures.gap_counts)


def repurchase_report(*, query: RepurchaseQuery, now: datetime | None = None) -> RepurchaseReport:
    """The whole report for one store (or all) and the period's members. Five queries."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    counting = partial(
        visit_returns,
        start=query.start,
        end=query.end,
        today=today,
        store_slug=query.store.slug if query.store else None,
        summary=gap_summary(start=query.start, end=query.end, today=today),
    )
    tiers, stores = counting(by_store=False), counting(by_store=True)
    store_names = dict(Store.objects.filter(slug__in=list(stores)).values_list("slug", "name"))
    tier_rows: dict[int | None, tuple[int, str]] = {
        pk: (rank, name) for pk, rank, name in Tier.objects.values_list("pk", "rank", "name")
    }
    by_store = [
        _frequency(store_names.get(slug) or slug or _("No store"), stores[slug])
        for slug in sorted(stores, key=lambda s: store_names.get(s) or s or "~")
    ]
    by_tier = [
        _frequency(tier_rows[tier][1] if tier in tier_rows else _("No tier"), tiers[tier])
        for tier in sorted(tiers, key=lambda t: tier_rows.get(t, (-1, ""))[0])
    ]
    total = VisitReturns()
    for row in tiers.values():  # every member has one tier (or none): the tiers add up to the total
        total.add(row)
    name = query.store.name if query.store else _("All stores")
    return RepurchaseReport(query=query, today=today, total=_frequency(name, total), stores=by_store, tiers=by_tier)
