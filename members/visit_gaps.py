"""Days between visits, for the repurchase report (issue #17): the facts it
counts by, worked out once (`visit_facts`) — from visits for days that are
not summarised (always today), and by the nightly `visit_gaps_summarise`,
which runs the same expressions, into VisitGap for closed days, then counted
per day into VisitGapCount, which the report reads.

The facts of a visit, in the member's whole history and in their visits to
that store: `gap`, the days since the visit before it (0 the same day, none
for a first ever), and `next`, the days to the next later day (none while
there is none). A visit's gap never changes unless a visit is dated before it
later (an offline sale synced late); its `next` changes when the member comes
back, so each night's run also rewrites the rows of the last
max(RETURN_WINDOWS) days of the members who came (a later return counts in
no window).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from cafe_loyalty.core.bulk import upsert_rows
from cafe_loyalty.core.clock import LocalDayNumber, day_number, runs_of
from cafe_loyalty.core.replica import primary_reads
from members.models import Member, Visit, VisitGap, VisitGapCount, VisitGapDay

# The repurchase report's windows ("came back within N days"): VisitGapCount
# keeps, for each visit, the shortest of them its next later day falls in.
RETURN_WINDOWS = (30, 60, 90)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day), timezone.get_default_timezone())


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Runs of consecutive days, (first, last) each, in order."""
    return runs_of(days, step=lambda day: day + timedelta(days=1))


def on_days(days: Iterable[date]) -> Q:
    """Visits (timestamps `at`) on any of `days`: one range a run of days."""
    q = Q(pk__in=[])
    for first, last in day_runs(days):
        q |= Q(at__gte=_day_start(first), at__lt=_day_start(last + timedelta(days=1)))
    return q


def on_day_numbers(days: Iterable[date]) -> Q:
    """Summary rows (day numbers `day`) of any of `days`: one range a run of days."""
    q = Q(pk__in=[])
    for first, last in day_runs(days):
        q |= Q(day__gte=day_number(first), day__lte=day_number(last))
    return q


def _neighbour(*, in_store: bool, later: bool) -> Subquery:
    """The day number of the visit before this one (or of the next visit on a
    later day) in the member's history, or their visits to this store: one
    probe of Visit's (member, at) index."""
    visits = Visit.objects.filter(member=OuterRef("member"))
    if in_store:
        visits = visits.filter(store_slug=OuterRef("store_slug"))
    day = LocalDayNumber("at")
    if later:
        after = visits.filter(at__gt=OuterRef("at")).annotate(d=day).filter(d__gt=OuterRef("day"))
        return Subquery(after.order_by("at").values("d")[:1])
    # Two visits at the same moment: the one made first counts as before. Any
    # of the latest candidates has the same day, so the index's order suffices.
    before = visits.filter(at__lte=OuterRef("at")).filter(Q(at__lt=OuterRef("at")) | Q(pk__lt=OuterRef("pk")))
    return Subquery(before.order_by("-at").values(d=day)[:1])


def visit_facts(
    visits: QuerySet[Visit], *, whole: bool = True, in_store: bool = True, today: date | None = None
) -> QuerySet[Any]:
    """`visits` with `day` and the facts above (`gap`, `next` in the whole
    history; `store_gap`, `store_next` in the store's), the one home of the
    rules. With `today`, visits from today on have no `next` (no window
    from today is over: not worth a probe each)."""
    facts: dict[str, Any] = {}
    for wanted, prefix, store in ((whole, "", False), (in_store, "store_", True)):
        if wanted:
            facts[f"{prefix}gap"] = F("day") - _neighbour(in_store=store, later=False)
            later: Any = _neighbour(in_store=store, later=True) - F("day")
            if today is not None:
                later = Case(When(at__lt=_day_start(today), then=later), default=None, output_field=IntegerField())
            facts[f"{prefix}next"] = later
    return visits.annotate(day=LocalDayNumber("at")).annotate(**facts)


def counted_facts(sql: str, keys: tuple[str, ...] = ("k",)) -> str:
    """SQL counting the rows of `sql` (columns `keys`, day, g: the gap, nx:
    the days to the next later day, n: what a row counts) by the keys, day,
    gap and `b`: the shortest window the next later day falls in — none for a
    repeat visit the same day (never a member's first in a period, so never
    asked). The one home of that rule, for the summary and the live part
    alike; over a subquery, so each visit's probes run once."""
    windows = " ".join(f"WHEN x.nx <= {n:d} THEN {n:d}" for n in RETURN_WINDOWS)
    back = f"CASE WHEN x.g = 0 THEN NULL {windows} ELSE NULL END"
    columns = ", ".join(f"x.{key}" for key in keys)
    groups = ", ".join(str(i) for i in range(1, len(keys) + 4))
    # Only names and integers are formatted in besides the ORM's own SQL (hence noqa: S608).
    return f"SELECT {columns}, x.day, x.g, {back} AS b, SUM(x.n) AS n FROM ({sql}) x GROUP BY {groups}"  # noqa: S608


@dataclass(frozen=True)
class GapSummary:
    days: frozenset[date]  # the days of a period read from the summary
    tiers_at: datetime | None  # VisitGap's tiers are members' tiers as of then


def gap_summary(*, start: date, end: date, today: date) -> GapSummary:
    """The days from `start` to `end` to read from the summary, and when the
    newest run started. One query. A summarised day is read from the summary
    only if every closed day in the longest window after it is summarised
    too: a member's next visit on a day never summarised never updated the
    day they came before (a night the job did not run; today's visits come
    too late for any window that is over)."""
    newest = VisitGapDay.objects.order_by("-summarised_at").values("summarised_at")[:1]
    reach = min(end + timedelta(days=max(RETURN_WINDOWS)), today - timedelta(days=1))
    rows = list(
        VisitGapDay.objects.filter(day__gte=start, day__lte=reach)
        .annotate(newest=Subquery(newest))
        .values_list("day", "newest")
    )
    written = {day for day, _newest in rows}
    holes = [start + timedelta(days=i) for i in range((reach - start).days + 1)]
    holes = [day for day in holes if day not in written]  # in order

    def before_a_hole(day: date) -> bool:
        after = bisect_right(holes, day)
        return after < len(holes) and holes[after] <= day + timedelta(days=max(RETURN_WINDOWS))

    days = frozenset(day for day in written if day <= end and not before_a_hole(day))
    return GapSummary(days=days, tiers_at=rows[0][1] if rows else None)


def last_summarised_at() -> datetime | None:
    """When the newest run started: VisitGap's tiers are members' tiers then."""
    return VisitGapDay.objects.aggregate(last=Max("summarised_at"))["last"]


# --- The nightly summary -------------------------------------------------------------


@primary_reads()  # a summary is written once from what it reads: never a lagging replica (core.replica)
def visit_gaps_summarise(*, days: Iterable[date], started: datetime | None = None) -> int:
    """(Re)writes each closed day of `days` whole, and every summarised day a
    visit synced late since the last run is dated on; keeps earlier rows of
    the members who came on them, and the tiers of members whose tier
    changed since the last run, up to date; returns how many days were
    written. One transaction. Idempotent."""
    started = started or timezone.now()
    today = timezone.localdate(started, timezone.get_default_timezone())
    newest = _visits_committed_through()
    with transaction.atomic():
        chosen = {day for day in days if day < today} | _late_days(today) | _missed_days(today)
        if not chosen:
            return 0
        previous_run = last_summarised_at()
        numbers = sorted(day_number(day) for day in chosen)
        VisitGap.objects.filter(day__in=numbers).delete()
        for day in sorted(chosen):  # a day at a time: a backfill's rows never all in memory
            _write(Visit.objects.filter(on_days([day])))
        # The same members' rows of the days before: these visits may be their next.
        came = Visit.objects.filter(on_days(chosen)).values("member")
        earlier = VisitGap.objects.filter(
            member__in=came, day__gte=numbers[0] - max(RETURN_WINDOWS), day__lte=numbers[-1]
        ).exclude(day__in=numbers)
        touched = set(numbers) | set(earlier.values_list("day", flat=True).distinct())
        _write(Visit.objects.filter(pk__in=earlier.values("visit")))
        if previous_run is not None:
            touched |= _follow_tiers(since=previous_run)
        _count(touched)
        upsert_rows(
            VisitGapDay._meta.db_table,
            ["day", "summarised_at", "last_visit"],
            ((day, started, newest) for day in sorted(chosen)),
            conflict=["day"],
        )
    return len(chosen)


def _visits_committed_through() -> int:
    """The newest visit id such that every visit with an id up to it is
    committed (or rolled back): the watermark the next run's late-visit
    search starts after. The plain newest id is not one on PostgreSQL: a
    payment that drew a lower id may commit after this run read its days,
    and a search from the newest id would never find that visit. A SHARE
    lock waits for the transactions writing visits now (milliseconds at the
    till) and holds new ones back only while the id is read; ids drawn
    later are higher. SQLite writes one transaction at a time. Inside a
    caller's transaction (tests run so; the nightly job does not) the lock
    would last until that ends, holding every payment back: not taken."""
    lock = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if lock:
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Visit._meta.db_table)} IN SHARE MODE")
        return int(Visit.objects.aggregate(last=Max("pk"))["last"] or 0)


def _late_days(today: date) -> set[date]:
    """Summarised days that visits recorded since the last run are dated on."""
    seen = VisitGapDay.objects.aggregate(last=Max("last_visit"))["last"]
    if seen is None:
        return set()
    late = Visit.objects.filter(pk__gt=seen, at__lt=_day_start(today))
    days = late.annotate(d=TruncDate("at", tzinfo=timezone.get_default_timezone())).values_list("d", flat=True)
    found = set(days.distinct().order_by())
    return found & set(VisitGapDay.objects.filter(day__in=found).values_list("day", flat=True))


def _missed_days(today: date) -> set[date]:
    """The closed days after the newest summarised one: nights the job did not run."""
    newest = VisitGapDay.objects.aggregate(last=Max("day"))["last"]
    if newest is None:
        return set()
    return {newest + timedelta(days=i) for i in range(1, (today - newest).days)}


def _write(visits: QuerySet[Visit]) -> None:
    columns = ["visit_id", "member_id", "day", "store_slug", "tier_id", "gap", "next", "store_gap", "store_next"]
    rows = visit_facts(visits.order_by()).values_list(
        "pk", "member_id", "day", "store_slug", "member__tier_id", "gap", "next", "store_gap", "store_next"
    )
    # A list: PostgreSQL's COPY takes the connection, so nothing may be read while it runs.
    upsert_rows(VisitGap._meta.db_table, columns, list(rows), conflict=["visit_id"])


def _follow_tiers(*, since: datetime) -> set[int]:
    """Members whose tier changed since `since`: their rows take the tier now.
    Returns the days whose counts change."""
    moved = VisitGap.objects.filter(member__tier_since__gte=since).exclude(
        Q(tier=F("member__tier")) | Q(tier__isnull=True, member__tier__isnull=True)
    )
    days = set(moved.values_list("day", flat=True).distinct().order_by())
    if days:
        tier_now = Member.objects.filter(pk=OuterRef("member")).values("tier")[:1]
        VisitGap.objects.filter(member__tier_since__gte=since).update(tier=Subquery(tier_now))
    return days


def _count(days: set[int]) -> None:
    """Rewrites the counts of `days` from their VisitGap rows, in the database."""
    VisitGapCount.objects.filter(day__in=days).delete()
    table = connection.ops.quote_name(VisitGapCount._meta.db_table)
    for in_store, prefix in ((False, ""), (True, "store_")):
        rows = VisitGap.objects.filter(day__in=days).annotate(
            k=F("store_slug") if in_store else Value(""),
            t=F("tier"),
            g=F(f"{prefix}gap"),
            nx=F(f"{prefix}next"),
            n=Value(1),
        )
        sql, params = rows.values("k", "t", "day", "g", "nx", "n").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, in_store, store_slug, tier_id, gap, back_within, visits) "  # noqa: S608
                f"SELECT c.day, %s, c.k, c.t, c.g, c.b, c.n FROM ({counted_facts(sql, ('k', 't'))}) c",
                [in_store, *params],
            )
