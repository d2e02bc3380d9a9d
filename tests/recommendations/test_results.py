"""The admin report: shown members against the holdout, by whether they
bought the recommended item within 14 days of its first being picked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from members.models import Member
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
