"""The repurchase report counts in the database (window functions): its figures
for many random members' visits equal a plain count in Python of the rules
the report states, on SQLite and on PostgreSQL (whose day numbers, window
functions and index probes differ)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cafe_loyalty.core.clock import day_number
from members.models import Member, Tier, Visit
from payments.models import Store
from payments.selectors.repurchase import WINDOWS, Frequency, RepurchaseQuery, repurchase_report

pytestmark = pytest.mark.django_db

START, END = date(2030, 6, 1), date(2030, 7, 15)
TODAY = date(2030, 9, 20)
SLUGS = ("daan", "xinyi", "banqiao")


def _local(day: date, minute: int) -> datetime:
    # Late evening and early morning visits: a UTC date would differ from the local one.
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _world(make_member: Any) -> dict[int, tuple[int | None, list[tuple[int, str]]]]:
    """Random members (some tierless) with visits from March to September,
    some twice a day; returns member → (tier, [(day number, store)] in time order)."""
    rng = random.Random(17)
    for slug in SLUGS:
        Store.objects.create(name=slug.title(), slug=slug)
    tiers: list[int | None] = [*Tier.objects.values_list("pk", flat=True), None]
    history: dict[int, tuple[int | None, list[tuple[int, str]]]] = {}
    for i in range(40):
        member = make_member(f"M{i}")
        tier = rng.choice(tiers)
        Member.objects.filter(pk=member.pk).update(tier=tier)
        visits = []
        for j in range(rng.randint(0, 14)):
            day = date(2030, 3, 1) + timedelta(days=rng.randint(0, 200))
            minute = rng.choice((5, 30, 600, 1430))
            visits.append((_local(day, minute), rng.choice(SLUGS), day, j))
        if visits and rng.random() < 0.3:  # a second visit the same day
            at, slug, day, _j = visits[0]
            visits.append((at + timedelta(seconds=1), rng.choice(SLUGS), day, 99))
        visits.sort()
        Visit.objects.bulk_create(
            Visit(member=member, at=at, store_slug=slug, reference=f"v{i}-{j}") for at, slug, _day, j in visits
        )
        history[member.pk] = (tier, [(day_number(day), slug) for _at, slug, day, _j in visits])
    return history


def _expected(days: list[int]) -> tuple[int, dict[int, tuple[int, int]], list[int]]:
    """One member's history in one scope, counted as the report's rules say."""
    start, end, today = day_number(START), day_number(END), day_number(TODAY)
    in_period = [d for d in days if start <= d <= end]
    if not in_period:
        return 0, {}, []
    first = in_period[0]
    later = [d for d in days if d > first]
    windows = {}
    for n in WINDOWS:
        over = first + n < today
        windows[n] = (int(over), int(over and bool(later) and later[0] - first <= n))
    gaps = [day - previous for previous, day in zip(days, days[1:], strict=False) if start <= day <= end]
    return 1, windows, gaps


def _tally(histories: list[list[int]]) -> tuple:
    members, counted, returned, gaps = 0, dict.fromkeys(WINDOWS, 0), dict.fromkeys(WINDOWS, 0), []
    for days in histories:
        m, windows, g = _expected(days)
        members += m
        for n, (c, r) in windows.items():
            counted[n] += c
            returned[n] += r
        gaps += g
    return members, [(n, counted[n], returned[n]) for n in WINDOWS], sorted(gaps)


def _figures(row: Frequency) -> tuple:
    return row.members, [(c.days, c.counted, c.returned) for c in row.came_back], row.gaps


def _check(make_member: Any) -> None:
    history = _world(make_member)
    tier_names: dict[int | None, str] = dict(Tier.objects.values_list("pk", "name"))
    now = _local(TODAY, 720)
    for store in (None, "xinyi"):
        query = RepurchaseQuery(start=START, end=END, store=Store.objects.get(slug=store) if store else None)
        report = repurchase_report(query=query, now=now)
        scoped = {pk: (tier, [d for d, s in visits if store in (None, s)]) for pk, (tier, visits) in history.items()}

        assert _figures(report.total) == _tally([days for _tier, days in scoped.values()]), store
        by_tier = {row.name: _figures(row) for row in report.tiers}
        expected_tiers = defaultdict(list)
        for tier, days in scoped.values():
            expected_tiers[tier_names.get(tier, "No tier")].append(days)
        assert by_tier == {name: _tally(h) for name, h in expected_tiers.items() if _tally(h)[0]}, store
        by_store = {row.name: _figures(row) for row in report.stores}
        expected_stores = {
            slug.title(): _tally([[d for d, s in visits if s == slug] for _tier, visits in history.values()])
            for slug in SLUGS
            if store in (None, slug)
        }
        assert by_store == {name: t for name, t in expected_stores.items() if t[0]}, store
    assert report.total.members > 5 and len(report.total.gaps) > 10  # the world is not trivially empty


def test_random_visits_count_as_the_rules_say(make_member: Any) -> None:
    _check(make_member)


@pytest.mark.postgres
def test_random_visits_count_as_the_rules_say_on_postgresql(make_member: Any) -> None:
    _check(make_member)
