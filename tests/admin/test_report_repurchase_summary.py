"""The repurchase report's nightly summary (members.visit_gaps): whichever
closed days are summarised, the report shows the figures it shows from visits
alone, for many random members' visits, on SQLite and PostgreSQL; and stays
right when a visit is dated on a summarised day later (an offline sale synced
late), when a member comes back after their day was summarised, and when a
member's tier changes after the summary was written."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from members.models import Member, Tier, Visit, VisitGap, VisitGapCount, VisitGapDay
from members.visit_gaps import visit_gaps_summarise
from payments.models import Store
from payments.selectors.repurchase import Frequency, RepurchaseQuery, RepurchaseReport, repurchase_report
from tests.admin.test_report_repurchase_sql import END, START, TODAY, _local, _world

pytestmark = pytest.mark.django_db

NOW = _local(TODAY, 720)
# The world's visits run from 2030-03-01 to 2030-09-17; the periods: the test's
# June to mid-July, one ending today (its last days and today read live), and
# one starting on the first visit day.
PERIODS = ((START, END), (date(2030, 7, 20), TODAY), (date(2030, 3, 1), date(2030, 9, 1)))


def _row(row: Frequency) -> tuple:
    return row.name, row.members, [(c.days, c.counted, c.returned) for c in row.came_back], row.gap_counts


def _figures(report: RepurchaseReport) -> tuple:
    return _row(report.total), [_row(r) for r in report.stores], [_row(r) for r in report.tiers]


def _reports(now: Any = NOW) -> list[tuple]:
    stores = [None, *Store.objects.filter(slug="xinyi")]
    return [
        _figures(repurchase_report(query=RepurchaseQuery(start=start, end=end, store=store), now=now))
        for start, end in PERIODS
        for store in stores
    ]


def _from_visits_alone(now: Any = NOW) -> list[tuple]:
    """The same reports with the summary out of the way (rolled back)."""
    with transaction.atomic():
        VisitGapDay.objects.all().delete()
        figures = _reports(now)
        transaction.set_rollback(True)
    return figures


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _summarised_days_read_as_live(make_member: Any) -> None:
    _world(make_member)
    live = _reports()
    assert live[0][0][1] > 5  # the world is not trivially empty
    rng = random.Random(1717)
    closed = _days(date(2030, 2, 20), TODAY - timedelta(days=1))
    for _round in range(3):
        VisitGapDay.objects.all().delete()
        VisitGap.objects.all().delete()
        VisitGapCount.objects.all().delete()
        chosen = rng.sample(closed, rng.randint(20, len(closed)))
        visit_gaps_summarise(days=chosen, started=NOW)
        assert VisitGapDay.objects.count() == len(chosen)
        assert _reports() == live, sorted(chosen)
    # Every closed day summarised, the report reads the counts alone: with the
    # visits (and their VisitGap rows) gone, the figures stay.
    visit_gaps_summarise(days=closed, started=NOW)
    Visit.objects.filter(at__lt=_local(TODAY, 0)).delete()
    assert not VisitGap.objects.exists()
    assert _reports() == live


def test_any_summarised_days_read_as_from_visits(make_member: Any) -> None:
    _summarised_days_read_as_live(make_member)


@pytest.mark.postgres
def test_any_summarised_days_read_as_from_visits_on_postgresql(make_member: Any) -> None:
    _summarised_days_read_as_live(make_member)


def test_nightly_runs_day_by_day_keep_returns_right(make_member: Any) -> None:
    """Visits arrive day by day and each night writes yesterday, before the
    member's next visit exists: the run that writes the next visit's day
    updates the day they were counted from. One night the job does not run:
    until the next run the days before it are read from visits, then the
    next run writes the missed day too."""
    members = [make_member(f"N{i}") for i in range(3)]
    Store.objects.create(name="Xinyi", slug="xinyi")
    day0 = date(2030, 6, 1)
    offsets = {0: (1, 20, 95), 1: (1, 2, 2, 70), 2: (5, 40)}  # member → days after 2030-06-01
    visits_on: dict[int, list[tuple[int, int]]] = {}
    for i, days in offsets.items():
        for j, offset in enumerate(days):
            visits_on.setdefault(offset, []).append((i, j))
    skipped = 21  # the night that would write day 20, N0's return
    for offset in range((TODAY - day0).days + 1):
        night = _local(day0 + timedelta(days=offset), 60)
        if offset == skipped + 1:
            assert not VisitGapDay.objects.filter(day=day0 + timedelta(days=20)).exists()
            assert _reports(night) == _from_visits_alone(night)
        if offset and offset != skipped:
            visit_gaps_summarise(days=[day0 + timedelta(days=offset - 1)], started=night)
        for i, j in visits_on.get(offset, []):  # the day's visits, after the night's run
            at = _local(day0 + timedelta(days=offset), 600 + j)
            Visit.objects.create(member=members[i], at=at, reference=f"n{i}-{j}", store_slug="xinyi")
    visit_gaps_summarise(days=[TODAY - timedelta(days=1)], started=NOW)

    assert VisitGapDay.objects.filter(day=day0 + timedelta(days=20)).exists()  # caught up
    assert _reports() == _from_visits_alone()
    june = repurchase_report(query=RepurchaseQuery(start=START, end=END), now=NOW).total
    # N0 back after 19 days, N1 after 1 day, N2 after 35: within 30 days 2 of 3, within 60 all three.
    assert [(c.counted, c.returned) for c in june.came_back] == [(3, 2), (3, 3), (3, 3)]


def test_a_visit_synced_late_onto_a_summarised_day_is_counted_after_the_next_run(make_member: Any) -> None:
    history = _world(make_member)
    visit_gaps_summarise(days=_days(date(2030, 2, 20), TODAY - timedelta(days=1)), started=NOW)
    member = Member.objects.get(pk=next(pk for pk, (_tier, visits) in history.items() if len(visits) > 3))
    # Between two of the member's visits in June, and one before the period.
    for i, day in enumerate((date(2030, 6, 12), date(2030, 5, 30))):
        Visit.objects.create(member=member, at=_local(day, 600), reference=f"late-{i}", store_slug="xinyi")
    live = _from_visits_alone()
    assert _reports() != live  # the summary does not know the late visits yet

    written = visit_gaps_summarise(days=[TODAY - timedelta(days=1)], started=NOW + timedelta(minutes=5))

    assert written == 3  # yesterday and the two late visits' days
    assert _reports() == live


def test_a_member_whose_tier_changed_counts_in_the_tier_now(make_member: Any) -> None:
    history = _world(make_member)
    visit_gaps_summarise(days=_days(date(2030, 2, 20), TODAY - timedelta(days=1)), started=NOW)
    gold = Tier.objects.get(slug="gold")
    movers = [pk for pk, (tier, visits) in history.items() if tier != gold.pk and visits][:4]
    Member.objects.filter(pk__in=movers).update(tier=gold, tier_since=NOW + timedelta(minutes=1))
    live = _from_visits_alone()
    assert not VisitGap.objects.filter(member__in=movers, tier=gold).exists()  # summarised in their old tiers

    assert _reports() == live  # moved when read, before any run

    visit_gaps_summarise(days=[TODAY - timedelta(days=1)], started=NOW + timedelta(minutes=5))
    assert set(VisitGap.objects.filter(member__in=movers).values_list("tier", flat=True)) == {gold.pk}
    assert _reports() == live


def test_summarise_sales_writes_the_visit_gaps(make_member: Any) -> None:
    member = make_member()
    yesterday = timezone.localdate() - timedelta(days=1)
    at = timezone.make_aware(datetime(yesterday.year, yesterday.month, yesterday.day, 9))
    visit = Visit.objects.create(member=member, at=at, reference="v1", store_slug="daan")
    out = io.StringIO()

    call_command("summarise_sales", stdout=out)

    assert "Summarised 1 day(s) of visit gaps" in out.getvalue()
    assert VisitGap.objects.get().visit_id == visit.pk
    assert list(VisitGapDay.objects.values_list("day", flat=True)) == [yesterday]
    counts = VisitGapCount.objects.values_list("in_store", "store_slug", "gap", "visits")
    assert sorted(counts) == [(False, "", None, 1), (True, "daan", None, 1)]
