"""The points ledger month by month, for the liability report (issue #17).

The report needs every entry's points summed by the month it was made and its
kind: all of them for the totals it reconciles, the last months for the table.
`_moves` is that query, the one home of the rule; closed months are read from
its nightly summary (PointsMonth, written by `points_months_summarise` with the
same query), every other month — always the current one, so the report is never
stale — from the entries themselves, through their created_at index.

Months are the programme's (TIME_ZONE), named by their first day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import DateField, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cafe_loyalty.core.bulk import upsert_rows
from cafe_loyalty.core.clock import add_months, month_of, month_start, runs_of
from cafe_loyalty.core.replica import primary_reads
from members.models import PointsEntry, PointsMonth, PointsSummaryMonth
from members.visit_months import summarise_closed_months

# (month, kind) → Σ points of the entries
PointsMoves = Counter[tuple[date, str]]


def _moves(entries: Q) -> QuerySet[Any]:
    """(month, kind, Σ points) of the entries matching `entries`."""
    month = TruncMonth("created_at", tzinfo=timezone.get_default_timezone(), output_field=DateField())
    return (
        PointsEntry.objects.filter(entries)
        .annotate(month=month)
        .values_list("month", "kind")
        .annotate(points=Sum("points"))
        .order_by()
    )


def points_moves(*, now: datetime | None = None) -> PointsMoves:
    """Every entry's points by month and kind, all history: three queries
    (which months are summarised, the summary, the rest of the entries)."""
    this_month = month_of(now or timezone.now())
    done = set(PointsSummaryMonth.objects.filter(month__lt=this_month).values_list("month", flat=True))
    moves: PointsMoves = Counter()
    if done:
        rows = PointsMonth.objects.filter(month__in=done).values_list("month", "kind", "points")
        moves.update({(month, kind): points for month, kind, points in rows})
    live = Q()
    for first, last in runs_of(done, step=lambda month: add_months(month, 1)):
        live &= Q(created_at__lt=month_start(first)) | Q(created_at__gte=month_start(add_months(last, 1)))
    moves.update({(month, kind): points for month, kind, points in _moves(live)})
    return moves


# --- The nightly summary -------------------------------------------------------------


@primary_reads()  # a summary is written once from what it reads: never a lagging replica (core.replica)
def points_months_summarise(*, months: Iterable[date], started: datetime | None = None) -> int:
    """(Re)writes each closed month whole, one transaction a month; returns
    how many months. Idempotent; the current month is never written."""
    return summarise_closed_months(months, started=started, write=_summarise_month)


@transaction.atomic
def _summarise_month(month: date, started: datetime) -> None:
    PointsMonth.objects.filter(month=month).delete()
    rows = _moves(Q(created_at__gte=month_start(month), created_at__lt=month_start(add_months(month, 1))))
    upsert_rows(
        PointsMonth._meta.db_table,
        ["month", "kind", "points"],
        ((month, kind, points) for _month, kind, points in rows),
        conflict=["month", "kind"],
    )
    PointsSummaryMonth.objects.update_or_create(month=month, defaults={"summarised_at": started})
