"""What each points promotion gave an order (issue #17, item 3: the offers
report's cost of a promotion): the quote splits the points promotions added,
after rounding and caps, and the paid order records them."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction

import pytest

from campaigns.earning import points_quote, share_promotion_points
from campaigns.loyalty import loyalty_on_paid_order
from campaigns.models import EarnRule, Promotion, PromotionAward
from members.models import Member

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
TUESDAY_15H = datetime(2026, 11, 24, 15, 0, tzinfo=TAIPEI)


@pytest.fixture
def promotions() -> tuple[Promotion, Promotion, Promotion]:
    double = Promotion.objects.create(name="Double Tuesday", multiplier_percent=200, weekdays="2")
    triple = Promotion.objects.create(name="Triple at Da'an", multiplier_percent=300, store_slugs="daan")
    bonus = Promotion.objects.create(name="+5 app bonus", bonus_points=5, stackable=True)
    return double, triple, bonus


def test_the_quote_says_what_each_applied_promotion_gave(
    make_member: Callable[..., Member], promotions: tuple[Promotion, Promotion, Promotion]
) -> None:
    double, triple, bonus = promotions
    quote = points_quote(member=make_member(), lines=[], total_paid=10_000, store_slug="daan", at=TUESDAY_15H)

    # Base 10; triple (+20) beats double (+10), which gives nothing; the stackable +5 adds.
    assert quote.points == 35
    assert quote.promotions == {triple.pk: 20, bonus.pk: 5}


def test_a_cap_takes_its_points_from_the_promotions_in_proportion(
    make_member: Callable[..., Member], promotions: tuple[Promotion, Promotion, Promotion]
) -> None:
    _double, triple, bonus = promotions
    EarnRule.objects.update_or_create(pk=1, defaults={"max_points_per_order": 30})
    quote = points_quote(member=make_member(), lines=[], total_paid=10_000, store_slug="daan", at=TUESDAY_15H)

    # 35 capped at 30; without promotions 10: they gave 20, split 20:5 → 16 and 4.
    assert quote.points == 30
    assert quote.promotions == {triple.pk: 16, bonus.pk: 4}


def test_a_cap_below_the_base_leaves_the_promotions_nothing(
    make_member: Callable[..., Member], promotions: tuple[Promotion, Promotion, Promotion]
) -> None:
    EarnRule.objects.update_or_create(pk=1, defaults={"max_points_per_order": 8})
    quote = points_quote(member=make_member(), lines=[], total_paid=10_000, store_slug="daan", at=TUESDAY_15H)

    assert (quote.points, quote.promotions) == (8, {})


def test_rounding_leftovers_go_to_the_largest_shares() -> None:
    assert share_promotion_points(10, {1: Fraction(1), 2: Fraction(1), 3: Fraction(1)}) == {1: 4, 2: 3, 3: 3}
    assert share_promotion_points(7, {1: Fraction(1), 2: Fraction(5, 2)}) == {1: 2, 2: 5}
    assert share_promotion_points(0, {1: Fraction(3)}) == {}


def test_a_paid_order_records_its_promotions_points(
    make_member: Callable[..., Member], promotions: tuple[Promotion, Promotion, Promotion]
) -> None:
    _double, triple, bonus = promotions
    member = make_member()
    loyalty_on_paid_order(member=member, amount=10_000, reference="order:1", store_slug="daan", at=TUESDAY_15H)

    awards = PromotionAward.objects.filter(member=member).order_by("promotion_id")
    assert [(a.promotion_id, a.points, a.reference, a.awarded_at) for a in awards] == [
        (triple.pk, 20, "order:1", TUESDAY_15H),
        (bonus.pk, 5, "order:1", TUESDAY_15H),
    ]
