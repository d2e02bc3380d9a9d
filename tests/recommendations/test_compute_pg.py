"""The job's SQL on PostgreSQL (string_agg for the options, jsonb for
them stored, ON CONFLICT for the exposures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Member
from payments.models import Recommendation, RecommendationExposure, Store
from payments.recommendations import compute
from payments.recommendations.compute import recommendations_compute
from payments.recommendations.results import recommendation_results
from tests.recommendations.conftest import agree, bought, option, product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_job_on_postgresql_finds_the_usual_with_options_and_what_goes_with_it(
    store: Store, make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compute, "MIN_PAIR_MEMBERS", 2)
    crowd = [agree(make_member(f"M{i}")) for i in range(5)]
    for member in crowd[:3]:
        bought(member, store, "latte", "croissant")
    bought(crowd[3], store, "americano")  # not everyone buys lattes: lift above 1 means something
    mei = crowd[4]
    bought(mei, store, ("latte", ["Oat milk", "Large"]), ("latte", ["Oat milk", "Large"]), ("latte", ["Small"]))
    for _ in range(2):  # a rerun keeps the first exposure
        recommendations_compute()
    usual = Recommendation.objects.get(member=mei, kind="usual")
    assert usual.product == product("latte")
    assert sorted(usual.modifier_ids) == sorted([option("Oat milk").pk, option("Large").pk])
    liked = Recommendation.objects.get(member=mei, kind="like", rank=0)
    assert liked.product == product("croissant")
    assert RecommendationExposure.objects.filter(member=mei).count() == 1


def test_the_results_query_on_postgresql(store: Store, make_member: Callable[..., Member]) -> None:
    now = timezone.now()
    shown, held = make_member("S"), make_member("H")
    for member, holdout in ((shown, False), (held, True)):
        RecommendationExposure.objects.create(
            member=member, product=product("croissant"), holdout=holdout, since=now - timedelta(days=20)
        )
    bought(shown, store, "croissant", at=now - timedelta(days=10))  # 10 days after: counts
    bought(held, store, "croissant", at=now - timedelta(days=2))  # 18 days after: too late
    results = recommendation_results(now=now)
    assert (results.shown.recommendations, results.shown.bought) == (1, 1)
    assert (results.holdout.recommendations, results.holdout.bought) == (1, 0)
    assert results.uplift_points == 100
