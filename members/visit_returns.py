"""Do members come back, and how long between their visits: the counting
behind the repurchase report (issue #17), done in the database.

For a period of days (the programme's calendar, TIME_ZONE; days as day
numbers, `cafe_loyalty.core.clock.day_number`), optionally one store's visits
only, and a grouping — by the member's tier now, or by store (then only that
store's visits count for each store, as if it were chosen) — each group gets:

- members: those with a visit in the period; their first visit in it is
  where they are counted from;
- for each window of N days whose last day is before `today`: how many were
  counted and how many came back, on a later day, at most N days after that
  first visit;
- gaps: for each visit in the period, the days since the member's visit
  before it (however long ago), counted by length; a first-ever visit has none.

One statement: a window pass over the visits from the period's start to the
longest window after its end (the visit before each visit; none marks a
history's first), the last visit before the period one index probe per
member (or member and store), and both counts grouped in the database, so no
visit is read into Python (180 days at 100,000 members are about 780,000
visits; still about 2 s a grouping there, see README "Insight at scale").
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lag
from django.utils import timezone

from cafe_loyalty.core.clock import LocalDayNumber, day_number
from members.models import Visit


@dataclass
class VisitReturns:
    members: int = 0
    counted: dict[int, int] = field(default_factory=dict)  # window → members whose window is over
    returned: dict[int, int] = field(default_factory=dict)  # window → of those, came back within it
    gap_counts: dict[int, int] = field(default_factory=dict)  # days between visits → visits


def _bound(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day), timezone.get_default_timezone())


def _sql(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def visit_returns(
    *, start: date, end: date, today: date, windows: tuple[int, ...], store_slug: str | None, by_store: bool
) -> dict[Any, VisitReturns]:
    """Group key (a store's slug with `by_store`, else a tier's pk or None) →
    its figures; only groups with a member in the period."""
    scope = Q(store_slug=store_slug) if store_slug is not None else Q()
    since, after = _bound(start), _bound(end) + timedelta(days=1)
    day = LocalDayNumber("at")
    # By store, each member's visits to each store are a history of their own.
    partition = [F("member_id"), F("store_slug")] if by_store else [F("member_id")]

    # Each visit from the period's start to the longest window after its end,
    # with the day of the visit before it in its member's history (none for the
    # history's first: one window function, each day worked out twice at most).
    visits = (
        Visit.objects.filter(scope, at__gte=since, at__lt=after + timedelta(days=max(windows)))
        .order_by()
        .annotate(day=day, previous=Window(Lag("day"), partition_by=partition, order_by=F("at").asc()))
        .values_list("member_id", "store_slug" if by_store else "member__tier_id", "day", "previous")
    )
    # For a history's first visit, the day of the visit before the period: one
    # probe of Visit's (member, at) index, only then (COALESCE stops early).
    earlier = Visit.objects.filter(scope, member_id=RawSQL("w.m", ()), at__lt=since)
    if by_store:
        earlier = earlier.filter(store_slug=RawSQL("w.k", ()))
    visits_sql, visits_params = _sql(visits)
    before_sql, before_params = _sql(earlier.order_by("-at").values(day=LocalDayNumber("at"))[:1])
    end_number, today_number = day_number(end), day_number(today)
    member = f"previous IS NULL AND day <= {end_number:d}"  # the history's first visit is in the period
    window_sums = "".join(
        f", SUM(CASE WHEN {member} AND day + {n:d} < {today_number:d} THEN 1 ELSE 0 END)"
        f", SUM(CASE WHEN {member} AND day + {n:d} < {today_number:d} AND next - day <= {n:d} THEN 1 ELSE 0 END)"
        for n in windows
    )
    # `next`, the history's next day after its first: the least day later than
    # the visit before it. A member's tier is one: no sort by it.
    histories = "m, k" if by_store else "m"
    # A CTE for the column names: SQLite takes no column list on a subquery.
    # Only the ORM's own SQL and integers are formatted in (hence noqa: S608).
    sql = f"""
        WITH w (m, k, day, previous) AS ({visits_sql})
        SELECT k, gap, COUNT(gap), SUM(CASE WHEN {member} THEN 1 ELSE 0 END){window_sums}
        FROM (
            SELECT k, day, previous,
                   MIN(CASE WHEN day > previous THEN day END) OVER (PARTITION BY {histories}) AS next,
                   CASE WHEN day <= {end_number:d} THEN day - COALESCE(previous, ({before_sql})) END AS gap
            FROM w
        ) x
        GROUP BY k, gap
    """  # noqa: S608
    figures: defaultdict[Any, VisitReturns] = defaultdict(VisitReturns)
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic() if postgresql else nullcontext(), connection.cursor() as cursor:
        if postgresql:
            # The planner's cost of the probe (as if run for every visit) passes
            # the JIT thresholds: compiling took ~0.45 s a statement at 100,000
            # members, more than it saved. Only for this transaction.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [*visits_params, *before_params])
        for group_id, gap, count, members, *sums in cursor.fetchall():
            row = figures[group_id]
            row.members += int(members)
            for i, n in enumerate(windows):
                row.counted[n] = row.counted.get(n, 0) + int(sums[2 * i])
                row.returned[n] = row.returned.get(n, 0) + int(sums[2 * i + 1])
            if gap is not None:
                row.gap_counts[int(gap)] = int(count)
    return {group_id: row for group_id, row in figures.items() if row.members}
