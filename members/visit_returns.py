"""Do members come back, and how long between their visits: the counting
behind the repurchase report (issue #17), done in the database.

For a period of days (the programme's calendar, TIME_ZONE; days as day
numbers, `cafe_loyalty.core.clock.day_number`), optionally one store's visits
only, and a grouping — by the member's tier now, or by store (then only that
store's visits count for each store, as if it were chosen) — each group gets:

- members: those with a visit in the period; their first visit in it is
  where they are counted from;
- for each of RETURN_WINDOWS, N days, whose last day is before `today`: how
  many were counted and how many came back, on a later day, at most N days
  after that first visit;
- gaps: for each visit in the period, the days since the member's visit
  before it (however long ago), counted by length; a first-ever visit has none.

Every visit's facts (members.visit_gaps: the days since the visit before,
the shortest window its next later day falls in) come from the nightly
summary's counts for summarised days and from visits for the rest (today,
days never summarised), in one statement a grouping: a member's first
visit in the period is the one whose visit before is before the period, so
the counts of both parts add up, and no visit is read into Python. Members
whose tier changed since the last run have their summarised visits moved to
their tier now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet, Value

from cafe_loyalty.core.clock import day_number
from cafe_loyalty.core.report_sql import compiled, report_cursor
from members.models import Visit, VisitGap, VisitGapCount
from members.visit_gaps import RETURN_WINDOWS, GapSummary, counted_facts, on_day_numbers, on_days, visit_facts


@dataclass
class VisitReturns:
    members: int = 0
    counted: dict[int, int] = field(default_factory=dict)  # window → members whose window is over
    returned: dict[int, int] = field(default_factory=dict)  # window → of those, came back within it
    gap_counts: dict[int, int] = field(default_factory=dict)  # days between visits → visits

    def add(self, other: VisitReturns) -> None:
        """Count `other`'s members and visits in too (groups with no member in common)."""
        self.members += other.members
        for mine, theirs in (
            (self.counted, other.counted),
            (self.returned, other.returned),
            (self.gap_counts, other.gap_counts),
        ):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count


def _parts(
    summary: GapSummary,
    open_days: list[date],
    *,
    today: date,
    in_store: bool,
    store_slug: str | None,
    by_store: bool,
) -> list[tuple[str, list[Any]]]:
    """The union's parts, each with columns k (the group), day, g (the gap),
    b (back within) and n (visits): the counts of the summarised days; for
    the tiers, the corrections for members whose tier changed since the
    summary's run (their rows out of the tier they were counted in, into
    their tier now); and the open days' visits."""
    prefix = "store_" if in_store else ""
    parts: list[tuple[str, list[Any]]] = []
    facts: list[QuerySet[Any]] = []  # per visit: k, day, g, nx (days to the next later day), n
    if summary.days:
        counts = VisitGapCount.objects.filter(on_day_numbers(summary.days), in_store=in_store)
        if store_slug is not None:
            counts = counts.filter(store_slug=store_slug)
        counts = counts.annotate(k=F("store_slug") if by_store else F("tier"), g=F("gap"), b=F("back_within"))
        sql, params = compiled(counts.annotate(n=F("visits")).values("k", "day", "g", "b", "n"))
        # Only the ORM's own SQL is formatted in (hence noqa: S608), here and below.
        parts.append((f"SELECT p.k, p.day, p.g, p.b, p.n FROM ({sql}) p", params))  # noqa: S608
        if not by_store and summary.tiers_at is not None:
            moved = VisitGap.objects.filter(
                on_day_numbers(summary.days), member__tier_since__gte=summary.tiers_at
            ).exclude(Q(tier=F("member__tier")) | Q(tier__isnull=True, member__tier__isnull=True))
            if store_slug is not None:
                moved = moved.filter(store_slug=store_slug)
            moved = moved.annotate(g=F(f"{prefix}gap"), nx=F(f"{prefix}next"))
            facts.append(moved.annotate(k=F("tier"), n=Value(-1)).values("k", "day", "g", "nx", "n"))
            facts.append(moved.annotate(k=F("member__tier"), n=Value(1)).values("k", "day", "g", "nx", "n"))
    if open_days:
        visits = Visit.objects.filter(on_days(open_days))
        if store_slug is not None:
            visits = visits.filter(store_slug=store_slug)
        live = visit_facts(visits, whole=not in_store, in_store=in_store, today=today).annotate(
            k=F("store_slug") if by_store else F("member__tier"), g=F(f"{prefix}gap"), nx=F(f"{prefix}next")
        )
        facts.append(live.annotate(n=Value(1)).values("k", "day", "g", "nx", "n"))
    for queryset in facts:
        sql, params = compiled(queryset)
        parts.append((counted_facts(sql), params))
    return parts


def visit_returns(
    *, start: date, end: date, today: date, store_slug: str | None, by_store: bool, summary: GapSummary
) -> dict[Any, VisitReturns]:
    """Group key (a store's slug with `by_store`, else a tier's pk or None) →
    its figures; only groups with a member in the period. `summary`: which
    of the period's days to read from the nightly summary (gap_summary)."""
    in_store = by_store or store_slug is not None
    open_days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    open_days = [day for day in open_days if day not in summary.days]
    parts = _parts(summary, open_days, today=today, in_store=in_store, store_slug=store_slug, by_store=by_store)
    if not parts:
        return {}
    union = " UNION ALL ".join(sql for sql, _params in parts)
    params = [param for _sql, part_params in parts for param in part_params]
    first_day, today_number = day_number(start), day_number(today)
    window_sums = "".join(
        f", SUM(CASE WHEN day + {n:d} < {today_number:d} THEN n ELSE 0 END)"
        f", SUM(CASE WHEN day + {n:d} < {today_number:d} AND b <= {n:d} THEN n ELSE 0 END)"
        for n in RETURN_WINDOWS
    )
    zeros = ", 0" * (1 + 2 * len(RETURN_WINDOWS))
    # The gaps by length; then each member's first visit in the period (the
    # one whose visit before is before it, or none) and its windows. A CTE
    # for the column names: SQLite takes no column list on a subquery. Only
    # the ORM's own SQL and integers are formatted in (hence noqa: S608).
    sql = f"""
        WITH u (k, day, g, b, n) AS ({union})
        SELECT k, g, SUM(n){zeros} FROM u WHERE g IS NOT NULL GROUP BY k, g
        UNION ALL
        SELECT k, NULL, 0, SUM(n){window_sums} FROM u WHERE g IS NULL OR g > day - {first_day:d} GROUP BY k
    """  # noqa: S608
    figures: defaultdict[Any, VisitReturns] = defaultdict(VisitReturns)
    with report_cursor() as cursor:  # on the replica for the report page; no JIT
        cursor.execute(sql, params)
        for group_id, gap, count, members, *sums in cursor.fetchall():
            row = figures[group_id]
            row.members += int(members)
            for i, n in enumerate(RETURN_WINDOWS):
                row.counted[n] = row.counted.get(n, 0) + int(sums[2 * i])
                row.returned[n] = row.returned.get(n, 0) + int(sums[2 * i + 1])
            if gap is not None and count:
                row.gap_counts[int(gap)] = int(count)
    return {group_id: row for group_id, row in figures.items() if row.members or row.gap_counts}
