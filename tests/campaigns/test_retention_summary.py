"""The retention report's nightly summary (members.visit_months): summarised
months count as they did live, the current month is always live, and the
page's queries do not grow with the months or the visits."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from cafe_loyalty.core.clock import add_months, month_start
from campaigns.reports import cohort_retention, monthly_activity, retention_figures
from members.models import Member, MemberMonth, Visit, VisitSummaryMonth
from members.visit_months import last_month, visit_months_summarise

pytestmark = pytest.mark.django_db
NOW = month_start(date(2026, 11, 1)).replace(day=20, hour=12)


def visit(member: Member, month: date, day: int, amount: int = 10_000) -> None:
    at = month_start(month).replace(day=day, hour=9)
    Visit.objects.create(member=member, at=at, amount=amount, reference=f"{member.pk}:{at:%Y%m%d}")


@pytest.fixture
def history(make_member: Callable[..., Member]) -> list[Member]:
    """Seven members over fourteen months: one who came long before the
    window, steady ones, one who left, late joiners, a member seen twice in a
    month, and one who comes back after a gap."""
    members = [make_member(f"R{i}") for i in range(7)]
    this = date(2026, 11, 1)
    plan = {
        0: [-13, -2, 0],  # first came before the 12-month window
        1: [-11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0],
        2: [-6, -5, -4],  # left
        3: [-3, -2, -1, 0],
        4: [-1, -1, 0],  # twice last month
        5: [-5, -2, 0],  # back after a gap
        6: [0],  # first visit this month
    }
    for index, offsets in plan.items():
        for i, offset in enumerate(offsets):
            visit(members[index], add_months(this, offset), 3 + i)
    return members


def test_summarised_months_count_as_they_did_live(history: list[Member]) -> None:
    live = (monthly_activity(months=12, now=NOW), cohort_retention(months=6, now=NOW))
    assert live[0][-1].active == 6 and live[0][-1].new == 1  # the hand count of November
    months = [add_months(date(2026, 11, 1), -back) for back in range(1, 15)]
    assert visit_months_summarise(months=months, started=NOW) == 14
    assert MemberMonth.objects.filter(month=date(2026, 10, 1)).get(member=history[4]).visits == 2
    assert (monthly_activity(months=12, now=NOW), cohort_retention(months=6, now=NOW)) == live
    assert retention_figures(months=12, cohort_months=6, now=NOW) == live


def test_a_gap_in_the_summary_is_read_live(history: list[Member]) -> None:
    live = retention_figures(now=NOW)
    months = [add_months(date(2026, 11, 1), -back) for back in range(1, 15) if back != 4]
    visit_months_summarise(months=months, started=NOW)
    assert retention_figures(now=NOW) == live


def test_the_current_month_is_never_summarised_and_stays_live(history: list[Member], make_member: Any) -> None:
    visit_months_summarise(months=[date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)], started=NOW)
    assert list(VisitSummaryMonth.objects.values_list("month", flat=True)) == [date(2026, 10, 1)]
    before = monthly_activity(months=12, now=NOW)[-1]
    visit(make_member("late"), date(2026, 11, 1), 19)
    after = monthly_activity(months=12, now=NOW)[-1]
    assert (after.active, after.new) == (before.active + 1, before.new + 1)


def test_the_nightly_job_rewrites_last_month_whole(history: list[Member], make_member: Any) -> None:
    assert last_month(now=NOW) == {date(2026, 10, 1)}
    visit_months_summarise(months=last_month(now=NOW), started=NOW)
    rows = sorted(MemberMonth.objects.values_list("member", "month", "visits", "spend", "first_month"))
    visit_months_summarise(months=[date(2026, 10, 1)], started=NOW)
    assert sorted(MemberMonth.objects.values_list("member", "month", "visits", "spend", "first_month")) == rows
    # A visit synced late into last month is in after the next night's run.
    visit(make_member("synced late"), date(2026, 10, 1), 28)
    october = [row for row in monthly_activity(months=2, now=NOW) if row.month == date(2026, 10, 1)]
    assert october[0].active == 3  # still the summary's
    visit_months_summarise(months=last_month(now=NOW), started=NOW)
    assert monthly_activity(months=2, now=NOW)[0].active == 4


def test_summarise_sales_also_summarises_last_months_visits(history: list[Member]) -> None:
    out = io.StringIO()
    call_command("summarise_sales", stdout=out)
    assert "Summarised 1 month(s) of visits" in out.getvalue()
    assert VisitSummaryMonth.objects.count() == 1


@pytest.mark.parametrize(("summarised", "queries"), [(0, 2), (4, 3), (14, 3)])
def test_the_figures_take_at_most_three_queries_however_many_months_are_summarised(
    history: list[Member], summarised: int, queries: int, django_assert_num_queries: Any
) -> None:
    """Which months are summarised; the summary (when any is); the live months, one UNION."""
    months = [add_months(date(2026, 11, 1), -back) for back in range(1, summarised + 1)]
    visit_months_summarise(months=months, started=NOW)
    with django_assert_num_queries(queries):
        retention_figures(months=12, cohort_months=6, now=NOW)


def test_the_report_page_reads_the_summary_in_a_pinned_number_of_queries(
    client: Client, manager_user: Any, history: list[Member], django_assert_max_num_queries: Any
) -> None:
    now = datetime.now().astimezone()
    this = date(now.year, now.month, 1)
    visit_months_summarise(months=[add_months(this, -back) for back in range(1, 15)])
    client.force_login(manager_user)
    url = "/admin/campaigns/membersegment/retention/"
    client.get(url)
    # As test_lifecycle's pin: the admin's own, the figures' three, the lapsed
    # summary's two, segment counts and the campaigns' list.
    with django_assert_max_num_queries(13 + 4):
        assert client.get(url).status_code == 200
