"""LocalDayNumber: the programme's day of a timestamp, counted in the database
(the repurchase report loads day numbers, not datetimes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from cafe_loyalty.core.clock import LocalDayNumber, add_months, day_from_number, day_number, runs_of
from members.models import Member, Visit

pytestmark = pytest.mark.django_db


def day_numbers_around_local_midnight(make_member: Callable[..., Member]) -> list[tuple[date, int]]:
    member = make_member("clock")
    tz = timezone.get_default_timezone()
    times = [datetime(2026, 3, 1, 23, 30), datetime(2026, 3, 2, 0, 30), datetime(1999, 12, 31, 23, 59)]
    for i, local in enumerate(times):
        Visit.objects.create(member=member, at=timezone.make_aware(local, tz), reference=f"clock:{i}")
    rows = Visit.objects.filter(member=member).order_by("reference").values_list("at", LocalDayNumber("at"))
    return [(timezone.localtime(at, tz).date(), number) for at, number in rows]


def test_the_day_number_is_the_programmes_day_not_utcs(make_member: Callable[..., Member]) -> None:
    rows = day_numbers_around_local_midnight(make_member)
    # 00:30 in Taipei is still the day before in UTC: the number must follow the local day.
    assert [day for day, _n in rows] == [date(2026, 3, 1), date(2026, 3, 2), date(1999, 12, 31)]
    assert all(number == day_number(day) and day_from_number(number) == day for day, number in rows)


def test_runs_of_days_and_months_join_what_is_consecutive() -> None:
    days = [date(2026, 1, 3), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 5)]
    assert runs_of(days, step=lambda day: day + timedelta(days=1)) == [
        (date(2025, 12, 31), date(2026, 1, 1)),
        (date(2026, 1, 3), date(2026, 1, 3)),
        (date(2026, 1, 5), date(2026, 1, 5)),
    ]
    months = {date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 3, 1)}
    assert runs_of(months, step=lambda month: add_months(month, 1)) == [
        (date(2025, 11, 1), date(2026, 1, 1)),
        (date(2026, 3, 1), date(2026, 3, 1)),
    ]
    assert runs_of([], step=lambda day: day) == []
