"""The programme's day: where "today" starts for daily limits, caps and reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Func, IntegerField
from django.db.models.functions import TruncDate
from django.utils import timezone


def local_day_start(now: datetime) -> datetime:
    """Midnight of `now`'s day in the programme's time zone (TIME_ZONE)."""
    local = timezone.localtime(now, timezone=timezone.get_default_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


EPOCH = date(1970, 1, 1)


class LocalDayNumber(Func):
    """The programme's day (TIME_ZONE) of a timestamp column, as days since
    1970-01-01: a report that reads a hundred thousand visit days loads
    integers instead of time-zone-aware datetimes (about 15 µs each in
    Python). `day_from_number` turns one back into a date."""

    output_field = IntegerField()

    def __init__(self, field: str) -> None:
        super().__init__(TruncDate(field, tzinfo=timezone.get_default_timezone()))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() of a date is its noon-less Julian day number, 2440587.5 on 1970-01-01.
        template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_from_number(number: int) -> date:
    return EPOCH + timedelta(days=number)


# Months of the programme's calendar, named by their first day: the reports'
# and the nightly summaries' one home for them.
def month_of(value: datetime | date) -> date:
    """The first day of the month `value` falls in, in the programme's time zone."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, timezone.get_default_timezone()) if timezone.is_aware(value) else value
    return date(value.year, value.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """The moment `month` begins, in the programme's time zone."""
    return timezone.make_aware(datetime(month.year, month.month, 1), timezone.get_default_timezone())


def runs_of(values: Iterable[date], *, step: Callable[[date], date]) -> list[tuple[date, date]]:
    """Runs of consecutive days or months (each `step` after the one before)
    as (first, last), in order: a summary's days or months read as a few
    ranges instead of one condition each."""
    runs: list[tuple[date, date]] = []
    for value in sorted(set(values)):
        if runs and step(runs[-1][1]) == value:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs
