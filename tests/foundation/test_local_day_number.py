"""LocalDayNumber: the programme's day of a timestamp, counted in the database
(the repurchase report loads day numbers, not datetimes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.utils import timezone

from cafe_loyalty.core.clock import LocalDayNumber, day_from_number, day_number
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
