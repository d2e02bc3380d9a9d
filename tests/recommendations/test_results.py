"""The admin report: shown members against the holdout, by whether they
bought the recommended item within 14 days of its first being picked."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member
from payments.insight_charts import recommendations_chart
from payments.models import ProductPair, RecommendationExposure, Store
from payments.recommendations.results import recommendation_results
from tests.recommendations.conftest import bought, product


def expose(member: Member, sku: str, *, days_ago: int, holdout: bool = False) -> None:
    since = timezone.now() - timedelta(days=days_ago)
    RecommendationExposure.objects.create(member=member, product=product(sku), holdout=holdout, since=since)


def test_results_count_purchases_of_the_recommended_item_within_14_days(
    store: Store, make_member: Callable[..., Member]
) -> None:
    now = timezone.now()
    a, b, c, d = (make_member(name) for name in "ABCD")
    expose(a, "croissant", days_ago=30)
    bought(a, store, "croissant", at=now - timedelta(days=25))  # 5 days after: counts
    expose(a, "oolong", days_ago=30)
    bought(a, store, "oolong", at=now - timedelta(days=10))  # 20 days after: too late
    expose(b, "croissant", days_ago=20)  # never bought
    expose(b, "mocha", days_ago=5)  # not yet 14 days: not counted at all
    expose(c, "croissant", days_ago=30, holdout=True)
    bought(c, store, "latte", at=now - timedelta(days=28))  # another item
    expose(d, "croissant", days_ago=30, holdout=True)
    bought(d, store, "croissant", at=now - timedelta(days=29))
    results = recommendation_results(now=now)
    assert (results.shown.members, results.shown.recommendations, results.shown.bought) == (2, 3, 1)
    assert results.shown.members_bought == 1
    assert (results.holdout.members, results.holdout.recommendations, results.holdout.bought) == (2, 2, 1)
    assert results.uplift_points is not None
    assert round(results.uplift_points, 1) == round((1 / 3 - 1 / 2) * 100, 1)


def test_the_report_page_shows_both_groups(
    manager_client: Client, store: Store, make_member: Callable[..., Member]
) -> None:
    member = make_member("A")
    expose(member, "croissant", days_ago=30)
    bought(member, store, "croissant", at=timezone.now() - timedelta(days=29))
    html = manager_client.get("/admin/payments/recommendationrun/report/").content.decode()
    shown = html.split('data-testid="group-shown"')[1].split("</tr>")[0]
    assert "<td>1</td>" in shown and "100.0%" in shown
    assert 'data-testid="group-holdout"' in html
    assert "Not enough data yet" in html  # no holdout exposures: no difference to state
    assert "No pairs yet." in html
    for one, other in (("croissant", "latte"), ("latte", "croissant")):  # as the job stores them: both ways
        ProductPair.objects.create(product=product(one), other=product(other), lift=1.25, members_together=7)
    pairs = manager_client.get("/admin/payments/recommendationrun/report/").content.decode()
    row = pairs.split('data-testid="product-pairs"')[1].split("</table>")[0]
    assert "Croissant" in row and "Latte" in row and "1.25" in row and row.count("<td>7</td>") == 1
    front = manager_client.get("/admin/").content.decode()
    assert "/admin/payments/recommendationrun/report/" in front


def shown_one_of_three_holdout_one_of_two(store: Store, make_member: Callable[..., Member]) -> None:
    now = timezone.now()
    a, b, c, d = (make_member(name) for name in "ABCD")
    expose(a, "croissant", days_ago=30)
    bought(a, store, "croissant", at=now - timedelta(days=25))
    expose(a, "oolong", days_ago=30)
    expose(b, "croissant", days_ago=20)
    expose(c, "croissant", days_ago=30, holdout=True)
    expose(d, "croissant", days_ago=30, holdout=True)
    bought(d, store, "croissant", at=now - timedelta(days=29))


def test_the_chart_shows_each_group_with_its_95_percent_range(store: Store, make_member: Callable[..., Member]) -> None:
    shown_one_of_three_holdout_one_of_two(store, make_member)
    chart = recommendations_chart(recommendation_results(now=timezone.now()))
    shown, holdout = chart.bars
    assert holdout.width == pytest.approx(1.5 * shown.width)  # 50 % against 33.3 %
    # Wilson, 1 of 3: centre (1/3 + 1.92/3) / (1 + 3.84/3) = 0.427, half 0.365.
    assert chart.table.rows == [
        ["Shown recommendations", "33.3%", "6.1%–79.2%"],
        ["Holdout (not shown)", "50.0%", "9.5%–90.5%"],
    ]
    assert shown.whisker and holdout.whisker
    assert "(-16.7 percentage points)" in chart.summary


def test_the_report_page_has_the_chart_in_a_pinned_number_of_queries(
    manager_client: Client, store: Store, make_member: Callable[..., Member], django_assert_max_num_queries: Any
) -> None:
    shown_one_of_three_holdout_one_of_two(store, make_member)
    # The admin's own eight (session, user, authenticator, permissions, the
    # settings the sidebar checks) plus the results, the last run and the
    # pairs: three, whatever the number of members or recommendations.
    with django_assert_max_num_queries(11):
        html = manager_client.get("/admin/payments/recommendationrun/report/").content.decode()
    assert 'data-testid="chart-recommendations"' in html and 'class="whisker"' in html
    assert 'href="?format=csv"' in html


def test_the_csv_has_both_groups_the_difference_and_the_pairs(
    manager_client: Client, store: Store, make_member: Callable[..., Member]
) -> None:
    shown_one_of_three_holdout_one_of_two(store, make_member)
    for one, other in (("croissant", "latte"), ("latte", "croissant")):  # as the job stores them: both ways
        ProductPair.objects.create(product=product(one), other=product(other), lift=1.25, members_together=7)
    response = manager_client.get("/admin/payments/recommendationrun/report/?format=csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[3] == ["Shown recommendations", "2", "3", "1", "0.3333", "1", "0.5"]
    assert rows[4] == ["Holdout (not shown)", "2", "2", "1", "0.5", "1", "0.5"]
    assert rows[5] == ["Difference (percentage points)", "-16.67"]
    assert sorted(rows[-1][:2]) == ["Croissant", "Latte"] and rows[-1][2:] == ["1.25", "7"]  # each pair once
