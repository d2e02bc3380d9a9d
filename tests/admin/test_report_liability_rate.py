"""The liability report at the reward catalogue's redemption rate (issue #17,
item 4): the rate from a small history of rewards used and points paid at the
till, the fallbacks (the catalogue's list values, then the point value), the
rounding, the reward coupons not yet used, and the page and CSV that show
them. Every figure is worked out by hand in the test's docstring or comment."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Coupon, CouponTemplate, Reward
from campaigns.rewards import reward_redeem
from members.models import Member, PointsPolicy
from members.points import points_earn
from members.selectors import points_problems
from payments.models import Category, Product, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.selectors.liability import points_liability
from payments.selectors.redemption_rate import (
    Basis,
    UnusedRewardCoupons,
    points_at_redemption_rate,
    redemption_rate,
    round_half_up,
    unused_reward_coupons,
)
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import (
    order_add_product,
    order_add_tender,
    order_apply_coupon,
    order_attach_member,
    order_open,
)
from tests.helpers import points_for

pytestmark = pytest.mark.django_db

URL = "/admin/payments/account/liability/"


@pytest.fixture
def menu() -> None:
    """A latte at NT$120 and a cookie at NT$60; a point is worth NT$0.50 at the till."""
    PointsPolicy.objects.update_or_create(pk=1, defaults={"point_value": 50})
    drinks = Category.objects.create(name="Coffee", slug="coffee")
    Product.objects.create(category=drinks, name="Latte", sku="latte", price=12_000)
    Product.objects.create(category=drinks, name="Cookie", sku="cookie", price=6_000)


def reward(name: str, points: int, **template: Any) -> Reward:
    coupon = CouponTemplate.objects.create(name=name, **template)
    return Reward.objects.create(name=name, points_cost=points, template=coupon)


@pytest.fixture
def fifty_off(menu: None) -> Reward:
    """NT$50 off for 80 points: 62.5 minor units a point."""
    return reward("NT$50 off", 80, kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=5_000)


@pytest.fixture
def free_latte(menu: None) -> Reward:
    """A free latte (NT$120) for 200 points: 60 minor units a point."""
    return reward("Free latte", 200, kind=CouponTemplate.Kind.FREE_ITEM, scope_sku="latte")


@pytest.fixture
def store(barista_user: Any) -> Store:
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    return store


def pay_at_till(
    member: Member, store: Store, barista: Any, skus: list[str], coupon: str = "", points: bool = False
) -> None:
    """A till order by the member, proven by their payment code, with a coupon
    or paid with points (the rest in cash)."""
    order = order_open(store=store, barista=barista)
    for sku in skus:
        order_add_product(order=order, product=Product.objects.get(sku=sku))
    code = payment_code_issue(member=member).code
    order_attach_member(order=order, member=member, scanned_code_hash=hash_payment_code(code))
    if coupon:
        order_apply_coupon(order=order, code=coupon)
    order.refresh_from_db()
    kind = "points" if points else "cash"
    order_add_tender(order=order, kind=kind, idempotency_key=uuid.uuid4().hex, actor=barista)


@pytest.fixture
def history(fifty_off: Reward, free_latte: Reward, store: Store, barista_user: Any, make_member: Any) -> Member:
    """Ana earns 1,000 points. She takes NT$50 off (80 points) and uses it on a
    latte (NT$50 off); takes a free latte (200 points) and uses it on a latte
    and a cookie (NT$120 off); pays a cookie with points (NT$60 = 120 points);
    and takes NT$50 off once more, not used yet."""
    ana = make_member("Ana")
    points_earn(member=ana, points=1_000, source="test", reference="t")
    used = reward_redeem(member=ana, reward=fifty_off)
    pay_at_till(ana, store, barista_user, ["latte"], coupon=used.code)
    latte = reward_redeem(member=ana, reward=free_latte)
    pay_at_till(ana, store, barista_user, ["latte", "cookie"], coupon=latte.code)
    pay_at_till(ana, store, barista_user, ["cookie"], points=True)
    reward_redeem(member=ana, reward=fifty_off)
    return ana


def test_the_rate_is_what_members_got_for_the_points_they_used(history: Member) -> None:
    rate = redemption_rate()

    # (NT$50 + NT$120 off + 120 points × NT$0.50) ÷ (80 + 200 + 120 points) = 23,000 ÷ 400 minor units.
    assert (rate.coupons_used, rate.coupon_points, rate.coupon_discount, rate.till_points) == (2, 280, 17_000, 120)
    assert rate.basis == Basis.HISTORY
    assert rate.rate == Fraction(115, 2)
    assert rate.per_100_points == 5_750
    # The catalogue beside it: each reward's list value and how often it was taken.
    table = [(r.name, r.points_cost, r.coupon_value, r.per_100_points, r.redemptions) for r in rate.rewards]
    assert table == [("NT$50 off", 80, 5_000, 6_250, 2), ("Free latte", 200, 12_000, 6_000, 1)]
    # The NT$50 off not used yet is owed too.
    assert unused_reward_coupons(now=timezone.now()) == UnusedRewardCoupons(count=1, value=5_000, unknown=0)
    assert ledger_problems() == [] and points_problems() == []


def test_a_reward_coupon_taken_before_the_twelve_months_is_not_in_the_rate(history: Member) -> None:
    # The free latte was taken 13 months ago: (NT$50 off + NT$60 at the till) ÷ (80 + 120 points).
    Coupon.objects.filter(template__name="Free latte").update(issued_at=timezone.now() - timedelta(days=400))

    rate = redemption_rate()

    assert (rate.coupon_points, rate.coupon_discount, rate.till_points) == (80, 5_000, 120)
    assert rate.rate == Fraction(11_000, 200)
    assert [r.redemptions for r in rate.rewards] == [2, 0]


def test_without_history_the_rate_is_the_catalogues_list_value(
    fifty_off: Reward, free_latte: Reward, make_member: Any
) -> None:
    """62.5 (NT$50 for 80), 60 (NT$120 for 200) and 30 (10% of a latte,
    NT$12, for 40 points) a point, averaged: 152.5 ÷ 3. A free item of a
    category and "buy 2 get 1" are worth what is bought: left out. A reward
    taken but not used is no history yet."""
    reward("10% off a latte", 40, kind=CouponTemplate.Kind.PERCENT_OFF, percent_off=10, scope_sku="latte")
    reward("Any pastry", 150, kind=CouponTemplate.Kind.FREE_ITEM, scope_category="pastry")
    reward("Buy 2 get 1", 90, kind=CouponTemplate.Kind.BUY_X_GET_Y, buy_quantity=2, get_quantity=1)
    bo = make_member("Bo")
    points_earn(member=bo, points=300, source="test", reference="t")
    reward_redeem(member=bo, reward=fifty_off)

    rate = redemption_rate()

    assert rate.basis == Basis.CATALOGUE
    assert rate.rate == Fraction(305, 6)
    assert rate.valued_rewards == 3
    assert rate.per_100_points == 5_083  # 5,083.33…
    values = {r.name: (r.coupon_value, r.per_100_points) for r in rate.rewards}
    assert values["10% off a latte"] == (1_200, 3_000)
    assert values["Any pastry"] == values["Buy 2 get 1"] == (None, None)
    # Bo's 220 points left: 220 × 305 ÷ 6 = 11,183.33… minor units.
    valuation = points_at_redemption_rate(points_liability())
    assert valuation.value == 11_183
    assert valuation.coupons == UnusedRewardCoupons(count=1, value=5_000, unknown=0)
    assert valuation.total == 16_183


def test_with_no_history_and_no_valued_reward_points_keep_the_point_value(menu: None, make_member: Any) -> None:
    reward("Any pastry", 150, kind=CouponTemplate.Kind.FREE_ITEM, scope_category="pastry")
    points_earn(member=make_member("Cy"), points=33, source="test", reference="t")

    valuation = points_at_redemption_rate(points_liability())

    assert (valuation.rate.basis, valuation.rate.rate) == (Basis.POINT_VALUE, 50)
    assert valuation.value == points_liability().value == 1_650


def test_money_is_rounded_once_half_up_and_the_months_add_up_to_the_total(fifty_off: Reward, make_member: Any) -> None:
    """One point in each of three months of expiry at 62.5 minor units: each
    month alone would round to 63 (189 in all) but the three are 187.5 → 188;
    the months are 63, 62 and 63 (the running total rounded: 63, 125, 188)."""
    dee = make_member("Dee")
    now = timezone.now()
    for back in (0, 40, 80):
        points_earn(member=dee, points=1, source="test", reference=f"t{back}", earned_at=now - timedelta(days=back))

    valuation = points_at_redemption_rate(points_liability())

    months = [(row.month.points, row.at_rate) for row in valuation.by_expiry if row.month.points]
    assert months == [(1, 63), (1, 62), (1, 63)]
    assert valuation.value == sum(row.at_rate for row in valuation.by_expiry) == 188
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, 4)] == [1, 2, 3, 2]


# --- The page and its CSV ------------------------------------------------------------


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


def test_the_page_says_which_basis_was_used_and_shows_the_catalogue(manager_client: Client, history: Member) -> None:
    page = manager_client.get(URL).content.decode()

    assert "what members actually got for the points they used in the last 12 months" in page
    assert "NT$57.50 per 100 points" in page
    assert 'data-testid="reward-catalogue"' in page
    assert "<td>NT$62.50</td>" in page  # the NT$50 off's value per 100 points
    assert 'data-testid="unused-reward-coupons"' in page
    # Ana's points: 1,000 − 80 − 200 − 120 − 80 = 520, and 13 earned on the NT$70 and NT$60 paid in cash.
    assert Member.objects.get(pk=history.pk).points_balance == 520 + points_for(7_000) + points_for(6_000) == 533
    # 533 × 57.5 = 30,647.5, rounded half up; at the till 533 × 50.
    assert '<td data-testid="value-at-rate">NT$306.48</td>' in page
    assert "<td><strong>NT$306.48</strong></td><td><strong>NT$266.50</strong></td>" in page  # the months' total
    assert "NT$266.50" in page


def test_the_page_says_when_the_catalogue_or_the_point_value_is_used(
    manager_client: Client, fifty_off: Reward, make_member: Callable[..., Member]
) -> None:
    assert "the reward catalogue's list values" in manager_client.get(URL).content.decode()
    Reward.objects.update(is_active=False)
    assert "what one point takes off a bill at the till" in manager_client.get(URL).content.decode()


def test_the_csv_carries_the_rate_the_catalogue_and_the_values_at_the_rate(
    manager_client: Client, history: Member
) -> None:
    body = manager_client.get(URL + "?format=csv").content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(body[1:])))
    values = {row[0]: row[1] for row in rows if len(row) == 2}

    assert values["Redemption rate based on"] == "History of the last 12 months"
    assert values["Value of 100 points at the redemption rate (TWD)"] == "57.50"
    assert values["Value of outstanding points at the redemption rate (TWD)"] == "306.48"
    assert values["Reward coupons not yet used"] == "1"
    assert values["Value of reward coupons not yet used (TWD)"] == "50.00"
    assert ["Expires in", "Points", "Value (TWD)", "Value at the redemption rate (TWD)"] in rows
    assert ["NT$50 off", "80", "50.00", "62.50", "2"] in rows
    assert ["Free latte", "200", "120.00", "60.00", "1"] in rows


@pytest.mark.parametrize("rewards", [1, 6])
def test_the_catalogue_adds_no_query_per_reward(
    manager_client: Client, menu: None, make_member: Any, rewards: int, django_assert_num_queries: Any
) -> None:
    from tests.admin.test_report_liability import LIABILITY_PAGE_QUERIES

    points_earn(member=make_member("Ed"), points=10, source="test", reference="t")  # a live lot, as there
    for i in range(rewards):
        reward(f"R{i}", 50 + i, kind=CouponTemplate.Kind.FREE_ITEM, scope_sku="latte")
    manager_client.get(URL)
    with django_assert_num_queries(LIABILITY_PAGE_QUERIES):
        assert manager_client.get(URL).status_code == 200
