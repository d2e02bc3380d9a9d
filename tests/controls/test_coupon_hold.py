"""Money controls: a coupon applied to an order is held for that order until it
is paid, taken off, or the order is voided, so it cannot be used on a second
order (at this till or another) before the first is paid; a template's limits
count held coupons; a hold on an abandoned order lapses after COUPON_HOLD."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.coupons import COUPON_HOLD, coupon_issue, coupon_redeem, coupon_reserve
from campaigns.exceptions import CouponNotApplicable, CouponReserved, CouponUsed
from campaigns.models import Coupon, CouponTemplate
from members.models import Member
from members.selectors import points_problems
from members.services import member_create
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, OrderCoupon, Payment, Product, Store, StoreStaff, Tender, Transfer
from payments.selectors.ledger import ledger_problems
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import (
    TillError,
    order_add_product,
    order_add_tender,
    order_apply_coupon,
    order_attach_member,
    order_open,
    order_refund,
    order_remove_coupon,
    orders_expire_held,
)
from payments.services.top_ups import wallet_top_up
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

HELD = "This coupon is on another order that is not paid yet."


@pytest.fixture
def store(barista_user: Any) -> Store:
    load_menu_demo()
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    return store


@pytest.fixture
def member(db: Any) -> Member:
    member = member_create(user=None, display_name="Mei", email="mei@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash")
    return member


def amount_off(**limits: Any) -> CouponTemplate:
    return CouponTemplate.objects.create(
        name="NT$50 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=5_000, **limits
    )


def proven_order(store: Store, barista: Any, member: Member) -> Order:
    """A latte (NT$135) with the member proven by a live payment code."""
    order = order_open(store=store, barista=barista)
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order.refresh_from_db()
    order_attach_member(
        order=order, member=member, scanned_code_hash=hash_payment_code(payment_code_issue(member=member).code)
    )
    return order


def assert_books_clean() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


def test_a_coupon_on_an_open_order_cannot_go_on_a_second_order(
    store: Store, barista_user: Any, django_user_model: Any, member: Member
) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    first = proven_order(store, barista_user, member)
    order_apply_coupon(order=first, code=coupon.code)
    coupon.refresh_from_db()
    assert coupon.reserved_for == first.reference and coupon.reserved_at is not None

    # Another barista, another till, the same coupon before the first is paid.
    other_barista = make_staff(django_user_model, "lee@example.com", "Barista")
    second = proven_order(store, other_barista, member)
    with pytest.raises(CouponReserved, match=HELD):
        order_apply_coupon(order=second, code=coupon.code)
    second.refresh_from_db()
    assert (second.discount, second.total) == (0, 13_500) and not second.coupons.exists()
    coupon.refresh_from_db()
    assert coupon.reserved_for == first.reference

    # The first order is paid: the coupon is used there, once.
    order_add_tender(order=first, kind="wallet", idempotency_key="w1", actor=barista_user)
    first.refresh_from_db()
    coupon.refresh_from_db()
    assert first.status == Order.Status.PAID and first.total == 8_500
    assert (coupon.order_reference, coupon.reserved_for, coupon.reserved_at) == (first.reference, "", None)
    with pytest.raises(CouponUsed):
        order_apply_coupon(order=second, code=coupon.code)
    assert Payment.objects.get().amount == 8_500
    assert_books_clean()


def test_taking_the_coupon_off_lets_it_go_on_another_order(
    client: Client, store: Store, barista_user: Any, member: Member
) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    client.force_login(barista_user)
    client.get("/pos/")
    first = Order.objects.get(pk=client.session["pos_order_id"])
    client.post(f"/pos/orders/{first.pk}/add/{Product.objects.get(sku='latte').pk}/", HTTP_HX_REQUEST="true")
    client.post(
        f"/pos/orders/{first.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    )
    page = client.post(f"/pos/orders/{first.pk}/scan/", {"code": coupon.code}, HTTP_HX_REQUEST="true")
    assert 'data-testid="remove-coupon"' in page.content.decode()
    applied = OrderCoupon.objects.get(order=first)

    second = proven_order(store, barista_user, member)
    with pytest.raises(CouponReserved):
        order_apply_coupon(order=second, code=coupon.code)

    removed = client.post(f"/pos/orders/{first.pk}/coupons/{applied.pk}/remove/", HTTP_HX_REQUEST="true")
    assert "Coupon taken off this order." in removed.content.decode()
    first.refresh_from_db()
    coupon.refresh_from_db()
    assert (first.discount, first.total, coupon.reserved_for) == (0, 13_500, "")
    assert not first.coupons.exists()

    order_apply_coupon(order=second, code=coupon.code)
    coupon.refresh_from_db()
    assert coupon.reserved_for == second.reference
    # The × of another till's coupon does nothing to this order.
    again = client.post(f"/pos/orders/{first.pk}/coupons/{second.coupons.get().pk}/remove/", HTTP_HX_REQUEST="true")
    assert "That coupon is not on this order." in again.content.decode()
    coupon.refresh_from_db()
    assert coupon.reserved_for == second.reference
    assert_books_clean()


def test_a_coupon_cannot_be_taken_off_once_the_order_is_being_paid(
    store: Store, barista_user: Any, member: Member
) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    order = proven_order(store, barista_user, member)
    order_apply_coupon(order=order, code=coupon.code)
    order_add_tender(order=order, kind="cash", idempotency_key="c", actor=barista_user, cash_received=5_000)
    with pytest.raises(TillError, match="already being paid"):
        order_remove_coupon(order=order, applied_id=order.coupons.get().pk)
    order.refresh_from_db()
    coupon.refresh_from_db()
    assert (order.discount, coupon.reserved_for) == (5_000, order.reference)
    assert_books_clean()


def test_a_hold_on_an_abandoned_order_lapses_and_that_order_then_cannot_take_money(
    store: Store, barista_user: Any, member: Member
) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    abandoned = proven_order(store, barista_user, member)
    order_apply_coupon(order=abandoned, code=coupon.code)
    Coupon.objects.filter(pk=coupon.pk).update(reserved_at=timezone.now() - COUPON_HOLD - timedelta(seconds=1))

    fresh = proven_order(store, barista_user, member)
    order_apply_coupon(order=fresh, code=coupon.code)
    coupon.refresh_from_db()
    assert coupon.reserved_for == fresh.reference

    # The abandoned order comes back: it is refused before any money moves.
    transfers = Transfer.objects.count()
    with pytest.raises(CouponReserved, match=HELD):
        order_add_tender(order=abandoned, kind="wallet", idempotency_key="w-old", actor=barista_user)
    with pytest.raises(CouponReserved):  # not even a part in cash
        order_add_tender(order=abandoned, kind="cash", idempotency_key="c-old", actor=barista_user, cash_received=1_000)
    abandoned.refresh_from_db()
    assert abandoned.status == Order.Status.OPEN and not abandoned.tenders.exists()
    assert Transfer.objects.count() == transfers and not Payment.objects.exists()
    # Taken off, the old order pays at full price; the new one with the coupon.
    order_remove_coupon(order=abandoned, applied_id=abandoned.coupons.get().pk)
    order_add_tender(order=abandoned, kind="cash", idempotency_key="c-old-2", actor=barista_user)
    order_add_tender(order=fresh, kind="wallet", idempotency_key="w-new", actor=barista_user)
    abandoned.refresh_from_db()
    fresh.refresh_from_db()
    coupon.refresh_from_db()
    assert (abandoned.status, abandoned.total) == (Order.Status.PAID, 13_500)
    assert (fresh.status, fresh.total, coupon.order_reference) == (Order.Status.PAID, 8_500, fresh.reference)
    assert_books_clean()


def test_an_order_whose_hold_lapsed_but_was_not_taken_still_pays_with_it(
    store: Store, barista_user: Any, member: Member
) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    order = proven_order(store, barista_user, member)
    order_apply_coupon(order=order, code=coupon.code)
    Coupon.objects.filter(pk=coupon.pk).update(reserved_at=timezone.now() - timedelta(hours=2))
    order_add_tender(order=order, kind="card", idempotency_key="k", actor=barista_user)
    order.refresh_from_db()
    coupon.refresh_from_db()
    assert order.status == Order.Status.PAID and coupon.order_reference == order.reference
    assert_books_clean()


def test_a_template_limit_counts_coupons_held_on_open_orders(store: Store, barista_user: Any) -> None:
    template = amount_off(total_limit=1)
    first_member = member_create(user=None, display_name="A", email="a@example.com")
    second_member = member_create(user=None, display_name="B", email="b@example.com")
    first = coupon_issue(member=first_member, template=template, source="test")
    second = coupon_issue(member=second_member, template=template, source="test")
    first_order = proven_order(store, barista_user, first_member)
    order_apply_coupon(order=first_order, code=first.code)

    second_order = proven_order(store, barista_user, second_member)
    with pytest.raises(CouponNotApplicable, match="on other orders that are not paid yet"):
        order_apply_coupon(order=second_order, code=second.code)
    # Nor can the second coupon be redeemed behind the hold's back.
    with pytest.raises(CouponNotApplicable):
        coupon_redeem(code=second.code, member=second_member, order_reference="order:elsewhere", discount=5_000)
    order_add_tender(order=first_order, kind="card", idempotency_key="k1", actor=barista_user)
    with pytest.raises(CouponNotApplicable, match="This offer has run out."):
        order_apply_coupon(order=second_order, code=second.code)
    second.refresh_from_db()
    assert (second.redeemed_at, second.reserved_for) == (None, "")
    assert Coupon.objects.filter(template=template, redeemed_at__isnull=False).count() == 1
    assert_books_clean()


def test_a_per_member_limit_counts_the_members_held_coupons(store: Store, barista_user: Any, member: Member) -> None:
    template = amount_off(per_member_limit=1)
    one = coupon_issue(member=member, template=template, source="test")
    two = coupon_issue(member=member, template=template, source="test")
    order_apply_coupon(order=proven_order(store, barista_user, member), code=one.code)
    with pytest.raises(CouponNotApplicable):
        coupon_reserve(code=two.code, member=member, order_reference="order:other")
    two.refresh_from_db()
    assert two.reserved_for == ""


def test_a_full_refund_gives_the_coupon_back_for_another_order(store: Store, barista_user: Any, member: Member) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    order = proven_order(store, barista_user, member)
    order_apply_coupon(order=order, code=coupon.code)
    order_add_tender(order=order, kind="wallet", idempotency_key="w", actor=barista_user)
    order.refresh_from_db()
    order_refund(order=order, actor=barista_user, reason="wrong drink")
    coupon.refresh_from_db()
    assert (coupon.redeemed_at, coupon.order_reference, coupon.reserved_for) == (None, "", "")
    again = proven_order(store, barista_user, member)
    order_apply_coupon(order=again, code=coupon.code)
    coupon.refresh_from_db()
    assert coupon.reserved_for == again.reference
    assert_books_clean()


def test_another_member_cannot_take_over_an_order_holding_coupons(
    store: Store, barista_user: Any, member: Member
) -> None:
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    order = proven_order(store, barista_user, member)
    order_apply_coupon(order=order, code=coupon.code)
    stranger = member_create(user=None, display_name="S", email="s@example.com")
    with pytest.raises(TillError, match="another member's coupons"):
        order_attach_member(order=order, member=stranger)
    order.refresh_from_db()
    assert order.member == member and order.discount == 5_000


def test_a_voided_order_lets_go_of_its_coupons(store: Store, member: Member) -> None:
    """An order that ends void (here: an API order whose held wallet payment
    expired) releases what it held."""
    coupon = coupon_issue(member=member, template=amount_off(), source="test")
    order = Order.objects.create(store=store, channel=Order.Channel.API, member=member, subtotal=13_500, total=13_500)
    coupon_reserve(code=coupon.code, member=member, order_reference=order.reference)
    payment = Payment.objects.create(
        member=member,
        amount=13_500,
        status=Payment.Status.REQUIRES_CONFIRMATION,
        store=store,
        confirm_by=timezone.now() - timedelta(seconds=1),
    )
    Tender.objects.create(
        order=order, kind="wallet", amount=13_500, idempotency_key="t", payment=payment, status="pending"
    )
    orders_expire_held()
    order.refresh_from_db()
    coupon.refresh_from_db()
    assert (order.status, coupon.reserved_for, coupon.reserved_at) == (Order.Status.VOID, "", None)
    assert_books_clean()
