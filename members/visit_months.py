"""Members' visits month by month, for the retention report (issue #17).

The report counts, for each month, the members who visited in it by two facts:
the month of their first visit ever, and whether they also came the month
before. Those facts are worked out here once (`_live`): from visits for a
month that is not summarised (always the current one, so the report is never
stale), and by the nightly `visit_months_summarise` — which runs the same
query — into MemberMonth for closed months. `visit_month_counts` reads each
month from wherever it is, so a summarised month counts as it did live.

Months are the programme's (TIME_ZONE), named by their first day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, DateField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cafe_loyalty.core.bulk import upsert_rows
from cafe_loyalty.core.clock import add_months, month_of, month_start
from cafe_loyalty.core.replica import primary_reads
from members.models import Member, MemberMonth, Visit, VisitSummaryMonth

# (month, month of the member's first visit, came the month before) → members
MonthCounts = Counter[tuple[date, date, bool]]


def _in_month(month: date) -> Q:
    return Q(at__gte=month_start(month), at__lt=month_start(add_months(month, 1)))


def _live(month: date) -> QuerySet[Any]:  # Member rows with the annotations below
    """The members who visited in `month`, each with the month of their
    first visit ever and whether they came in the month before. The one home
    of those rules (the caller groups the rows); index probes per member,
    not a pass over every visit."""
    tz = timezone.get_default_timezone()
    visited = Visit.objects.filter(_in_month(month), member=OuterRef("pk"))
    first_visit = Visit.objects.filter(member=OuterRef("pk")).order_by("at").values("at")[:1]
    came_before = Visit.objects.filter(_in_month(add_months(month, -1)), member=OuterRef("pk"))
    return Member.objects.filter(Exists(visited)).annotate(
        month=Value(month, output_field=DateField()),
        first_month=TruncMonth(Subquery(first_visit), tzinfo=tz, output_field=DateField()),
        came_month_before=Exists(came_before),
    )


def summarised_months(*, first: date, last: date, now: datetime | None = None) -> set[date]:
    """The months from `first` to `last` read from the summary: those the
    nightly job wrote, never the current month or a later one."""
    this_month = month_of(now or timezone.now())
    rows = VisitSummaryMonth.objects.filter(month__gte=first, month__lte=last, month__lt=this_month)
    return set(rows.values_list("month", flat=True))


def visit_month_counts(*, first: date, last: date, now: datetime | None = None) -> MonthCounts:
    """Members who visited in each month from `first` to `last`, counted by
    their first month and whether they came the month before. Three queries
    (which months are summarised, the summary, the rest live) whatever the
    number of visits (the live part is one query, a UNION of one part a month)."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    done = summarised_months(first=first, last=last, now=now)
    counts: MonthCounts = Counter()
    if done:
        rows = (
            MemberMonth.objects.filter(month__in=done)
            .values_list("month", "first_month", "came_month_before")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({(m, f, c): n for m, f, c, n in rows})
    live = [
        _live(month).values_list("month", "first_month", "came_month_before").annotate(n=Count("pk")).order_by()
        for month in months
        if month not in done
    ]
    if live:
        counts.update({(m, f, bool(c)): n for m, f, c, n in live[0].union(*live[1:], all=True)})
    return counts


# --- The nightly summary -------------------------------------------------------------


def last_month(*, now: datetime | None = None) -> set[date]:
    """The nightly run's months for a monthly summary: last month, rewritten
    every night (late visits and entries, such as offline sales synced days
    later, land in it)."""
    return {add_months(month_of(now or timezone.now()), -1)}


def summarise_closed_months(
    months: Iterable[date], *, started: datetime | None, write: Callable[[date, datetime], None]
) -> int:
    """Calls `write(month, started)` for each of `months` that is over by
    `started` (default now), in order; returns how many. A monthly summary is
    written only for closed months: the current one (and later) is always
    read live."""
    started = started or timezone.now()
    this_month = month_of(started)
    chosen = [month for month in sorted(set(months)) if month < this_month]
    for month in chosen:
        write(month, started)
    return len(chosen)


@primary_reads()  # a summary is written once from what it reads: never a lagging replica (core.replica)
def visit_months_summarise(*, months: Iterable[date], started: datetime | None = None) -> int:
    """(Re)writes each closed month's rows whole, one transaction a month;
    returns how many months. Idempotent."""
    return summarise_closed_months(months, started=started, write=_summarise_month)


@transaction.atomic
def _summarise_month(month: date, started: datetime) -> None:
    MemberMonth.objects.filter(month=month).delete()
    visits = Visit.objects.filter(_in_month(month), member=OuterRef("pk")).order_by().values("member")
    rows = (
        _live(month)
        .annotate(
            visit_count=Subquery(visits.annotate(n=Count("pk")).values("n")),
            spent=Subquery(visits.annotate(total=Sum("amount")).values("total")),
        )
        .values_list("pk", "first_month", "came_month_before", "visit_count", "spent")
    )
    upsert_rows(
        MemberMonth._meta.db_table,
        ["member_id", "month", "visits", "spend", "first_month", "came_month_before"],
        ((member, month, visits, spend or 0, first, bool(came)) for member, first, came, visits, spend in rows),
        conflict=["member_id", "month"],
    )
    VisitSummaryMonth.objects.update_or_create(month=month, defaults={"summarised_at": started})
