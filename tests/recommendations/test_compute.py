"""The nightly job: lift on a hand-made basket set, the usual with its
options, "you may like" without what the member buys, consent, holdout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from members.models import Member
from payments.models import Product, ProductPair, Recommendation, RecommendationExposure, RecommendationRun, Store
from payments.recommendations import compute
from payments.recommendations.compute import HOLDOUT_PERCENT, in_holdout, recommendations_compute
from payments.recommendations.lift import baskets_matrix, item_lift, like_scores, top_items
from tests.recommendations.conftest import agree, bought, option, product

# Five members, three items (0 coffee, 1 cake, 2 tea):
#   m0: coffee, cake   m1: coffee, cake   m2: coffee, tea   m3: tea   m4: cake
BASKETS = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 2), (3, 2), (4, 1)]


def hand_made() -> Any:
    rows, cols = zip(*BASKETS, strict=True)
    return baskets_matrix(np.array(rows), np.array(cols), shape=(5, 3))


def test_lift_on_a_hand_made_basket_set() -> None:
    lift = item_lift(hand_made())
    # N=5; n(coffee)=3, n(cake)=3, n(tea)=2; together: coffee+cake 2, coffee+tea 1, cake+tea 0.
    assert lift[0, 1] == pytest.approx(5 * 2 / (3 * 3))  # 10/9
    assert lift[1, 0] == pytest.approx(10 / 9)
    assert lift[0, 2] == pytest.approx(5 * 1 / (3 * 2))  # 5/6: less than chance
    assert lift[1, 2] == 0 and lift[0, 0] == 0


def test_a_pair_seen_in_too_few_baskets_gets_no_lift() -> None:
    lift = item_lift(hand_made(), min_pair=2)
    assert lift[0, 1] == pytest.approx(10 / 9)
    assert lift[0, 2] == 0  # coffee and tea together in one basket only


def test_like_scores_leave_out_what_the_member_buys_and_rank_by_lift_above_chance() -> None:
    baskets = hand_made()
    scores = like_scores(baskets, item_lift(baskets))
    assert scores[4, 0] == pytest.approx(1 / 9)  # cake buyer: coffee goes with cake
    assert scores[4, 2] == 0  # tea does not (lift 0)
    assert scores[4, 1] == 0  # cake: already bought
    assert scores[3, 0] == 0  # tea buyer: coffee goes with tea less than chance
    best, values = top_items(scores, 2)
    assert best[4, 0] == 0 and values[4, 0] == pytest.approx(1 / 9)


def test_holdout_assignment_is_stable_and_about_the_stated_share() -> None:
    first = [in_holdout(member_id) for member_id in range(1, 20_001)]
    assert first == [in_holdout(member_id) for member_id in range(1, 20_001)]
    assert abs(sum(first) / len(first) * 100 - HOLDOUT_PERCENT) < 1


@pytest.fixture
def crowd(store: Store, make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch) -> list[Member]:
    """Six members who agreed: lattes go with croissants (four of them buy both)."""
    monkeypatch.setattr(compute, "MIN_PAIR_MEMBERS", 2)
    members = [agree(make_member(f"M{i}")) for i in range(6)]
    for member in members[:4]:
        bought(member, store, "latte", "croissant")
    bought(members[4], store, "americano")
    return members


def recs(member: Member, kind: str) -> list[Recommendation]:
    return list(Recommendation.objects.filter(member=member, kind=kind).order_by("rank"))


def test_the_usual_is_the_most_bought_item_with_the_options_most_often_taken(store: Store, crowd: list[Member]) -> None:
    mei = crowd[5]
    bought(mei, store, ("latte", ["Large", "Oat milk"]), ("latte", ["Large", "Oat milk"]))
    bought(mei, store, ("latte", ["Medium", "Whole milk"]), "americano")
    recommendations_compute()
    (usual,) = recs(mei, Recommendation.Kind.USUAL)
    assert usual.product == product("latte") and usual.score == 3
    assert sorted(usual.modifier_ids) == sorted([option("Large").pk, option("Oat milk").pk])


def test_you_may_like_goes_with_what_they_buy_and_leaves_out_what_they_already_buy(
    store: Store, crowd: list[Member]
) -> None:
    mei = crowd[5]
    bought(mei, store, "latte", "americano")
    recommendations_compute()
    liked = [rec.product.sku for rec in recs(mei, Recommendation.Kind.LIKE)]
    assert liked[0] == "croissant"
    assert "latte" not in liked and "americano" not in liked
    # Six baskets: five with a latte, four with a croissant, four with both.
    pair = ProductPair.objects.get(product=product("croissant"), other=product("latte"))
    assert pair.lift == pytest.approx(6 * 4 / (4 * 5)) and pair.members_together == 4 and pair.rank == 0


def test_items_no_longer_sold_are_not_recommended(store: Store, crowd: list[Member]) -> None:
    mei = crowd[5]
    bought(mei, store, "latte")
    Product.objects.filter(sku="croissant").update(is_active=False)
    recommendations_compute()
    assert "croissant" not in [rec.product.sku for rec in recs(mei, Recommendation.Kind.LIKE)]
    for member in crowd[:4]:  # their usual may not be the croissant either
        assert all(rec.product.sku != "croissant" for rec in recs(member, Recommendation.Kind.USUAL))


def test_members_who_did_not_agree_or_withdrew_get_no_recommendations(
    store: Store, crowd: list[Member], make_member: Callable[..., Member]
) -> None:
    never = make_member("Never")
    withdrew = agree(make_member("Withdrew"))
    agree(withdrew, granted=False)
    for member in (never, withdrew):
        bought(member, store, ("latte", ["Large"]), "americano")
    recommendations_compute()
    assert not Recommendation.objects.filter(member__in=[never, withdrew]).exists()
    assert Recommendation.objects.filter(member=crowd[0]).exists()


def test_orders_older_than_the_window_or_unpaid_do_not_count(store: Store, crowd: list[Member]) -> None:
    mei = crowd[5]
    bought(mei, store, "mocha", at=timezone.now() - compute.WINDOW - timedelta(days=1))
    open_order = bought(mei, store, "oolong")
    open_order.status = "open"
    open_order.save()
    recommendations_compute()
    assert not Recommendation.objects.filter(member=mei).exists()


def test_holdout_members_get_rows_marked_holdout(store: Store, crowd: list[Member]) -> None:
    recommendations_compute()
    for member in crowd:
        assert set(Recommendation.objects.filter(member=member).values_list("holdout", flat=True)) <= {
            in_holdout(member.pk)
        }


def test_the_command_is_idempotent_and_keeps_when_an_item_was_first_recommended(
    store: Store, crowd: list[Member]
) -> None:
    mei = crowd[5]
    bought(mei, store, "latte")
    call_command("compute_recommendations", stdout=None)
    first = list(Recommendation.objects.values_list("member", "product", "kind", "rank", "modifier_ids"))
    since = RecommendationExposure.objects.get(member=mei, product=product("croissant")).since
    call_command("compute_recommendations", stdout=None)
    assert list(Recommendation.objects.values_list("member", "product", "kind", "rank", "modifier_ids")) == first
    assert RecommendationExposure.objects.get(member=mei, product=product("croissant")).since == since
    assert RecommendationRun.objects.count() == 2
