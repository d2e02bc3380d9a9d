"""Money controls on PostgreSQL with real threads: a coupon goes to one order
however many tills race for it, and a template's total limit holds when many
members race for its last uses."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from cafe_loyalty.core.problems import Problem
from campaigns.coupons import COUPON_HOLD, coupon_issue, coupon_redeem
from campaigns.exceptions import CouponNotApplicable, CouponReserved, CouponUsed
from campaigns.models import Coupon, CouponTemplate
from members.models import Member
from members.selectors import points_problems
from members.services import member_create
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, OrderCoupon, Product, Store, Tender
from payments.selectors.ledger import ledger_problems
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import (
    order_add_product,
    order_add_tender,
    order_apply_coupon,
    order_attach_member,
    order_open,
)
from payments.services.top_ups import wallet_top_up
from tests.helpers import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TILLS = 8


def amount_off(**limits: Any) -> CouponTemplate:
    return CouponTemplate.objects.create(
        name="NT$50 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=5_000, **limits
    )


def proven_order(store: Store, barista: Any, member: Member) -> Order:
    order = order_open(store=store, barista=barista)
    order_add_product(order=order, product=Product.objects.get(sku="latte"))  # NT$135
    order.refresh_from_db()
    order_attach_member(
        order=order, member=member, scanned_code_hash=hash_payment_code(payment_code_issue(member=member).code)
    )
    return order


def apply_and_pay(order_id: int, code: str, barista: Any, key: str) -> int:
    """What one till does: apply the coupon, then take the card; the order's total."""
    order = Order.objects.get(pk=order_id)
    order_apply_coupon(order=order, code=code)
    order_add_tender(order=order, kind=Tender.Kind.CARD, idempotency_key=key, actor=barista)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order.total


def assert_books_clean() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


@pytest.fixture
def store(db: Any) -> Store:
    load_menu_demo()
    return Store.objects.create(name="Xinyi", slug="xinyi")


def test_tills_racing_to_apply_and_pay_one_coupon_give_it_to_one_order(store: Store, barista_user: Any) -> None:
    assert connection.vendor == "postgresql"
    member = member_create(user=None, display_name="Mei", email="mei@example.com")
    wallet_top_up(member=member, amount=10_000, tender="cash")
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    orders = [proven_order(store, barista_user, member).pk for _ in range(TILLS)]

    results = run_concurrently(
        TILLS, lambda i: apply_and_pay(orders[i], coupon.code, barista_user, f"card-{i}"), allowed=(Problem,)
    )

    won = [r for r in results if isinstance(r, int)]
    assert won == [8_500], results
    assert all(isinstance(r, CouponReserved | CouponUsed) for r in results if not isinstance(r, int)), results
    coupon.refresh_from_db()
    winner = Order.objects.get(status=Order.Status.PAID)
    assert (coupon.order_reference, coupon.reserved_for) == (winner.reference, "")
    assert OrderCoupon.objects.get().order == winner
    assert not Tender.objects.exclude(order=winner).exists()
    assert Order.objects.filter(status=Order.Status.OPEN, discount=0).count() == TILLS - 1
    assert_books_clean()


def test_orders_all_carrying_one_lapsed_coupon_race_to_pay_and_one_gets_it(store: Store, barista_user: Any) -> None:
    """Each order took the coupon after the previous order's hold lapsed; then
    every hold lapsed, and all the tills take payment at once."""
    member = member_create(user=None, display_name="Lin", email="lin@example.com")
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    orders = []
    for _ in range(TILLS):
        order = proven_order(store, barista_user, member)
        order_apply_coupon(order=order, code=coupon.code)
        Coupon.objects.filter(pk=coupon.pk).update(reserved_at=timezone.now() - COUPON_HOLD)
        orders.append(order.pk)

    def pay(i: int) -> int:
        order = Order.objects.get(pk=orders[i])
        order_add_tender(order=order, kind=Tender.Kind.CARD, idempotency_key=f"card-{i}", actor=barista_user)
        order.refresh_from_db()
        return order.total

    results = run_concurrently(TILLS, pay, allowed=(Problem,))
    assert [r for r in results if isinstance(r, int)] == [8_500], results
    assert all(isinstance(r, CouponReserved | CouponUsed) for r in results if not isinstance(r, int)), results
    winner = Order.objects.get(status=Order.Status.PAID)
    coupon.refresh_from_db()
    assert coupon.order_reference == winner.reference
    assert Tender.objects.get().order == winner
    assert_books_clean()


def test_members_racing_for_the_last_uses_of_a_limited_offer_get_exactly_what_is_left(
    store: Store, barista_user: Any
) -> None:
    template = amount_off(total_limit=3)
    earlier = member_create(user=None, display_name="Early", email="early@example.com")
    coupon_redeem(
        code=coupon_issue(member=earlier, template=template, source="test").code,
        member=earlier,
        order_reference="order:earlier",
        discount=5_000,
    )
    tills = []
    for i in range(TILLS):
        member = member_create(user=None, display_name=f"M{i}", email=f"m{i}@example.com")
        code = coupon_issue(member=member, template=template, source="test").code
        tills.append((proven_order(store, barista_user, member).pk, code))

    results = run_concurrently(
        TILLS, lambda i: apply_and_pay(tills[i][0], tills[i][1], barista_user, f"card-{i}"), allowed=(Problem,)
    )

    assert [r for r in results if isinstance(r, int)] == [8_500, 8_500], results
    assert all(isinstance(r, CouponNotApplicable) for r in results if not isinstance(r, int)), results
    assert Coupon.objects.filter(template=template, redeemed_at__isnull=False).count() == 3
    assert not Coupon.objects.filter(template=template).exclude(reserved_for="").exists()
    assert Order.objects.filter(status=Order.Status.PAID).count() == 2
    assert_books_clean()


def test_redemptions_racing_past_a_total_limit_stop_at_it(db: Any) -> None:
    """Without holds (the service alone): distinct coupons of one template,
    each redeemed by its own order at once."""
    template = amount_off(total_limit=2)
    members = [member_create(user=None, display_name=f"R{i}", email=f"r{i}@example.com") for i in range(TILLS)]
    coupons = [coupon_issue(member=m, template=template, source="test") for m in members]

    def redeem(i: int) -> str:
        coupon_redeem(code=coupons[i].code, member=members[i], order_reference=f"order:{1000 + i}", discount=5_000)
        return "won"

    results = run_concurrently(TILLS, redeem, allowed=(Problem,))
    assert results.count("won") == 2, results
    assert all(isinstance(r, CouponNotApplicable) for r in results if r != "won"), results
    assert Coupon.objects.filter(template=template, redeemed_at__isnull=False).count() == 2
