"""The reports' PostgreSQL forms on a generated cafe: the day number, and the
retention summary counting as the live read does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings

from cafe_loyalty.core.clock import add_months, month_of
from campaigns.reports import lapsed_summary, retention_figures
from members.models import Member, MemberMonth
from members.visit_months import visit_months_summarise
from tests.foundation.test_local_day_number import day_numbers_around_local_midnight

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_day_number_is_the_programmes_day_on_postgresql(make_member: Callable[..., Member]) -> None:
    rows = day_numbers_around_local_midnight(make_member)
    assert [day for day, _n in rows] == [date(2026, 3, 1), date(2026, 3, 2), date(1999, 12, 31)]
    assert [number for _d, number in rows] == [20513, 20514, 10956]


def test_the_retention_summary_counts_as_the_live_read_on_a_generated_cafe(settings: Settings) -> None:
    settings.DEBUG = True
    call_command("generate_insight_data", members=300, visits=6_000, orders=3_000, verbosity=0)
    now = timezone.now()
    live = retention_figures(months=12, cohort_months=6, now=now), lapsed_summary(now=now)
    assert sum(row.active for row in live[0][0]) > 300  # members active month after month
    this = month_of(now)
    assert visit_months_summarise(months=[add_months(this, -back) for back in range(1, 26)], started=now) == 25
    assert MemberMonth.objects.count() > 1_000
    assert (retention_figures(months=12, cohort_months=6, now=now), lapsed_summary(now=now)) == live
