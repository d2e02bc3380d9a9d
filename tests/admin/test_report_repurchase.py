"""The repurchase and frequency report (issue #17, item 2): who came back
within 30, 60 and 90 days of their first visit in a period, the days between
visits, by store and by tier; each figure against a few members' visits
counted by hand, then the page, its filter, its CSV and its query count."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member, Tier, Visit
from payments import admin_insight
from payments.models import Store
from payments.selectors.repurchase import Frequency, RepurchaseQuery, RepurchaseReport, repurchase_report

pytestmark = pytest.mark.django_db

URL = "/admin/payments/order/repurchase/"
JUNE = {"start": date(2030, 6, 1), "end": date(2030, 6, 30)}


def local(month: int, day: int, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(2030, month, day, hour), timezone.get_default_timezone())


NOW = local(9, 25)  # today is 2030-09-25: a window ending 09-24 or before is over


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


class World:
    def __init__(self, make_member: Any) -> None:
        self.daan = Store.objects.create(name="Da'an", slug="daan")
        self.xinyi = Store.objects.create(name="Xinyi", slug="xinyi")
        self.members: dict[str, Member] = {}
        gold = Tier.objects.get(slug="gold")
        self.visits = 0
        # A (Gold): Da'an 05-20 (before the period), Da'an 06-01, Xinyi 06-10, Da'an 07-20.
        self.member("A", make_member, gold, ("daan", 5, 20), ("daan", 6, 1), ("xinyi", 6, 10), ("daan", 7, 20))
        # B (Green, the entry tier): Xinyi twice on 06-15, then Xinyi 09-10 (87 days on).
        self.member("B", make_member, None, ("xinyi", 6, 15), ("xinyi", 6, 15), ("xinyi", 9, 10))
        # C (no tier): Da'an 06-30 and 09-20 (82 days on; 06-30 + 90 days is not over yet).
        self.member("C", make_member, None, ("daan", 6, 30), ("daan", 9, 20))
        Member.objects.filter(pk=self.members["C"].pk).update(tier=None)
        # D (Gold): Da'an 05-01 and 07-05, none in June: not in the report.
        self.member("D", make_member, gold, ("daan", 5, 1), ("daan", 7, 5))

    def member(self, name: str, make_member: Any, tier: Tier | None, *visits: tuple[str, int, int]) -> None:
        member = make_member(name)
        if tier:
            Member.objects.filter(pk=member.pk).update(tier=tier)
        for slug, month, day in visits:
            self.visits += 1
            Visit.objects.create(
                member=member, at=local(month, day, 8 + self.visits % 10), reference=f"v{self.visits}", store_slug=slug
            )
        self.members[name] = member


@pytest.fixture
def world(make_member: Any) -> World:
    return World(make_member)


def report(**query: Any) -> RepurchaseReport:
    return repurchase_report(query=RepurchaseQuery(**{**JUNE, **query}), now=NOW)


def figures(row: Frequency) -> tuple:
    return (row.name, row.members, [(c.days, c.counted, c.returned) for c in row.came_back], row.gaps, row.median_gap)


def test_came_back_within_30_60_90_days_counts_only_windows_that_are_over(world: World) -> None:
    total = report().total

    # A came back after 9 days (Xinyi 06-10); B after 87 days; C after 82 days, but C's 90 days end 09-28.
    assert figures(total)[:3] == ("All stores", 3, [(30, 3, 1), (60, 3, 1), (90, 2, 2)])
    assert [c.share for c in total.came_back] == [1 / 3, 1 / 3, 1.0]


def test_days_between_visits_median_and_histogram(world: World) -> None:
    total = report().total

    # A: 06-01 is 12 days after 05-20, 06-10 is 9 after 06-01; B's second visit on 06-15 is 0 days on;
    # first-ever visits (B's, C's) have none.
    assert total.gaps == [0, 9, 12]
    assert total.median_gap == 9.0
    assert total.histogram == [1, 2, 0, 0, 0, 0]


def test_by_store_only_that_stores_visits_count(world: World) -> None:
    stores = [figures(row) for row in report().stores]

    assert stores == [
        # A back at Da'an 49 days after 06-01; C back 82 days after 06-30 (its 90 days not over).
        ("Da'an", 2, [(30, 2, 0), (60, 2, 1), (90, 1, 1)], [12], 12.0),
        # A never back at Xinyi; B back after 87 days.
        ("Xinyi", 2, [(30, 2, 0), (60, 2, 0), (90, 2, 1)], [0], 0.0),
    ]


def test_by_tier_today(world: World) -> None:
    tiers = [figures(row) for row in report().tiers]

    assert tiers == [
        ("No tier", 1, [(30, 1, 0), (60, 1, 0), (90, 0, 0)], [], None),
        ("Green", 1, [(30, 1, 0), (60, 1, 0), (90, 1, 1)], [0], 0.0),
        ("Gold", 1, [(30, 1, 1), (60, 1, 1), (90, 1, 1)], [9, 12], 10.5),
    ]
    assert report().tiers[0].came_back[2].share is None


def test_a_store_filter_keeps_only_that_stores_visits(world: World) -> None:
    result = report(store=world.xinyi)

    assert figures(result.total) == ("Xinyi", 2, [(30, 2, 0), (60, 2, 0), (90, 2, 1)], [0], 0.0)
    assert [row.name for row in result.stores] == ["Xinyi"]
    assert [(row.name, row.members) for row in result.tiers] == [("Green", 1), ("Gold", 1)]


# --- The page ----------------------------------------------------------------------


def filters(**more: str) -> dict[str, str]:
    return {"start": "2030-06-01", "end": "2030-06-30", **more}


def test_the_page_explains_the_rules_filters_and_draws_each_chart(
    manager_client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_insight, "repurchase_report", partial(repurchase_report, now=NOW))
    page = manager_client.get(URL, filters(store=str(world.daan.pk))).content.decode()

    assert 'data-testid="repurchase-rules"' in page
    for testid in ("came-back", "gaps", "tiers"):
        assert f'data-testid="chart-repurchase-{testid}"' in page, testid
    stores = page.split('data-testid="repurchase-stores"')[1].split("</table>")[0]
    assert "Da&#x27;an" in stores and "Xinyi" not in stores
    assert "50% <span" in stores and "(1 of 2)" in stores  # 60 days at Da'an


def test_the_csv_has_each_table(manager_client: Client, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_insight, "repurchase_report", partial(repurchase_report, now=NOW))
    response = manager_client.get(URL, filters(format="csv"))

    assert 'filename="repurchase-2030-06-01-2030-06-30.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["Repurchase and frequency", "All stores", "2030-06-01", "2030-06-30"]
    assert ["All stores", "3", "3", "1", "0.3333", "3", "1", "0.3333", "2", "2", "1.0", "9.0"] in rows
    assert ["Da'an", "2", "2", "0", "0.0", "2", "1", "0.5", "1", "1", "1.0", "12.0"] in rows
    assert ["No tier", "1", "1", "0", "0.0", "1", "0", "0.0", "0", "0", "", ""] in rows
    assert ["7–13", "2"] in rows


def test_the_front_page_links_the_report(manager_client: Client) -> None:
    assert f'href="{URL}"' in manager_client.get("/admin/").content.decode()


def test_a_barista_cannot_open_the_report(client: Client, barista_user: Any) -> None:
    client.force_login(barista_user)
    assert client.get(URL).status_code == 302
    assert client.get(URL + "?format=csv").status_code == 302


# The session, user, MFA and permissions (5); the side bar's "can add" checks
# (3); the store choices (1); the summarised days, the tiers' and the stores'
# counts, store names, tiers (5).
REPURCHASE_PAGE_QUERIES = 13


@pytest.mark.parametrize("members", [1, 5])
def test_the_page_makes_a_pinned_number_of_queries(
    manager_client: Client, make_member: Any, members: int, django_assert_num_queries: Any
) -> None:
    Store.objects.create(name="Da'an", slug="daan")
    for i in range(members):
        member = make_member()
        for days in (1, 20, 40):
            at = timezone.now() - timedelta(days=days * (i + 1))
            Visit.objects.create(member=member, at=at, reference=f"v{i}-{days}", store_slug="daan")
    manager_client.get(URL)
    with django_assert_num_queries(REPURCHASE_PAGE_QUERIES):
        assert manager_client.get(URL).status_code == 200
