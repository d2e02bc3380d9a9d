"""The sales report's nightly summary (issue #17, scale): summarised days
read from the summary and the rest from orders give the very figures of
orders alone; a refund on a summarised day shows after the next run; the
command is idempotent."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from payments.models import DailySales, Order, OrderRefund, SalesSummaryDay
from payments.selectors.sales import SalesQuery, sales_report
from payments.services.sales_summary import sales_days_to_summarise, sales_summarise
from tests.admin.test_report_sales import SALES_PAGE_QUERIES, URL, World

pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute), timezone.get_default_timezone())


@pytest.fixture
def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


@pytest.fixture
def world(today: date) -> World:
    """Twelve days of orders up to today at two stores, at the day's edges
    (00:05 and 23:55 local, so a day or hour taken in UTC would move them),
    several products an order, discounts and a refunded order."""
    w = World()
    for back in range(12):
        day = today - timedelta(days=back)
        w.order(w.daan, at(day, 0, 5), (w.latte, 1 + back % 3), (w.cake, 1), discount=500 * (back % 2))
        w.order(w.xinyi, at(day, 23, 55), (w.oolong, 2), (w.latte, 1))
        if back % 4 == 0:
            w.order(w.xinyi, at(day, 12), (w.cake, 2), status=Order.Status.REFUNDED, refunded_amount=16_000)
    w.order(w.daan, at(today, 9), (w.latte, 9), status=Order.Status.OPEN)  # not a sale
    return w


QUERIES = [
    {"grain": "day"},
    {"grain": "week"},
    {"grain": "month"},
]


def all_reports(w: World, today: date) -> list[Any]:
    spans = [(today - timedelta(days=11), today), (today - timedelta(days=9), today - timedelta(days=2))]
    return [
        sales_report(query=SalesQuery(start=start, end=end, store=store, **extra))
        for start, end in spans
        for store in (None, w.daan, w.xinyi)
        for extra in QUERIES
    ]


def test_summarised_days_and_live_ones_give_the_figures_of_orders_alone(world: World, today: date) -> None:
    live_only = all_reports(world, today)
    assert live_only[0].totals.orders == 12 * 2 + 3
    # Days 11 to 1 back summarised except day 5 back (a gap is read live).
    days = [today - timedelta(days=back) for back in range(1, 12) if back != 5]
    assert sales_summarise(days=days) == 10
    assert DailySales.objects.exists()
    assert all_reports(world, today) == live_only


def test_days_before_and_after_the_summarised_run_are_both_read_live(world: World, today: date) -> None:
    live_only = all_reports(world, today)
    # Days 8 to 3 back summarised: the first span reads 11 to 9 back and 2 back to today
    # from orders (two time ranges), the second 9 back and 2 back.
    assert sales_summarise(days=[today - timedelta(days=back) for back in range(3, 9)]) == 6
    assert all_reports(world, today) == live_only


def test_a_refund_on_a_summarised_day_shows_after_the_next_run(world: World, today: date) -> None:
    call_command("summarise_sales", "--since", (today - timedelta(days=11)).isoformat(), stdout=io.StringIO())
    three_back = today - timedelta(days=3)
    query = SalesQuery(start=three_back, end=three_back)
    before = sales_report(query=query).totals
    order = next(o for o in Order.objects.filter(store=world.daan) if timezone.localdate(o.paid_at) == three_back)
    Order.objects.filter(pk=order.pk).update(refunded_amount=order.total, status=Order.Status.REFUNDED)
    OrderRefund.objects.create(order=order, number=1, amount=order.total)
    assert sales_report(query=query).totals == before  # the summary still holds the day as it was

    assert sales_days_to_summarise() == {today - timedelta(days=1), three_back}
    out = io.StringIO()
    call_command("summarise_sales", stdout=out)
    assert "Summarised 2 day(s)" in out.getvalue()
    after = sales_report(query=query).totals
    assert after.refunds == before.refunds + order.total and after.orders == before.orders
    assert sales_days_to_summarise() == {today - timedelta(days=1)}  # nothing changed since


def test_summarising_twice_changes_nothing_and_today_is_never_summarised(world: World, today: date) -> None:
    since = (today - timedelta(days=3)).isoformat()
    call_command("summarise_sales", "--since", since, "--until", today.isoformat(), stdout=io.StringIO())
    rows = sorted(DailySales.objects.values_list("day", "store", "hour", "orders", "items", "sales", "refunds"))
    call_command("summarise_sales", "--since", since, stdout=io.StringIO())
    assert sorted(DailySales.objects.values_list("day", "store", "hour", "orders", "items", "sales", "refunds")) == rows
    assert not SalesSummaryDay.objects.filter(day=today).exists()
    assert SalesSummaryDay.objects.count() == 3


def test_the_page_over_summarised_days_makes_a_pinned_number_of_queries(
    client: Client, manager_user: Any, world: World, today: date, django_assert_num_queries: Any
) -> None:
    sales_summarise(days=[today - timedelta(days=back) for back in range(1, 30)])
    client.force_login(manager_user)
    client.get(URL)
    # The page over its default 30 days: the summary's five groups beside the
    # seven live ones for today.
    with django_assert_num_queries(SALES_PAGE_QUERIES + 5):
        response = client.get(URL)
    assert response.status_code == 200
