"""Placing an order ahead (services): built on the one sale path, paid by
the member's wallet, and every refusal leaves nothing charged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import CouponTemplate
from members.models import Member
from payments.exceptions import AccountFrozen, InsufficientFunds
from payments.models import Account, Order, Payment, ProgrammeSettings, Store, Tender
from payments.selectors.ahead import ahead_queue
from payments.services.ahead import (
    AheadLine,
    ItemSoldOut,
    ModifierInvalid,
    OrderAheadPaused,
    PickupInvalid,
    StoreClosed,
    ahead_order_place,
    modifier_sold_out_set,
    product_sold_out_set,
    store_ahead_pause,
    store_zone,
)
from payments.services.orders import TillError, order_confirm_payment, orders_expire_held
from payments.services.risk import wallet_freeze
from tests.ahead.conftest import latte, option, product

pytestmark = pytest.mark.django_db


def balance(member: Member) -> int:
    return Account.objects.get(member=member).balance


def test_an_order_ahead_is_a_paid_sale_in_the_queue_with_its_options_and_note(store: Store, customer: Member) -> None:
    placed = ahead_order_place(
        member=customer,
        store=store,
        lines=[latte(2, "Large", "Oat milk", "Extra shot", note="extra hot"), AheadLine(product=product("croissant"))],
    )
    order = placed.order
    order.refresh_from_db()
    # Latte 120 + Large 30 + oat 15 + shot 20 = 185, twice; croissant 80.
    assert (order.channel, order.status, order.prep_status) == ("ahead", "paid", "received")
    assert order.total == 2 * 18_500 + 8_000
    assert balance(customer) == 100_000 - order.total
    assert order.points_earned > 0 and customer.points_entries.exists()
    line = order.lines.get(product__sku="latte")
    assert (line.quantity, line.unit_price, line.note) == (2, 18_500, "extra hot")
    assert set(line.modifiers.values_list("name_en", flat=True)) == {"Large", "Oat milk", "Extra shot"}
    tender = order.tenders.get()
    assert tender.payment is not None
    assert (tender.kind, tender.status, tender.payment.status) == ("wallet", "settled", "succeeded")
    assert ahead_queue(store=store) == [order]


def test_unchosen_groups_take_their_default_and_the_estimate_counts_the_queue(store: Store, customer: Member) -> None:
    first = ahead_order_place(member=customer, store=store, lines=[latte(3)]).order
    assert first.lines.get().unit_price == 13_500  # a Medium with whole milk, as at the till
    now = timezone.now()
    second = ahead_order_place(member=customer, store=store, lines=[latte(1)], now=now).order
    # Three lattes ahead of it, one of its own, three minutes each.
    assert second.ready_estimate == now + timedelta(minutes=12)


def test_a_pickup_time_later_today_is_kept_as_the_ready_time(store: Store, customer: Member) -> None:
    now = timezone.now()
    pickup = now + timedelta(hours=2)
    order = ahead_order_place(member=customer, store=store, lines=[latte()], pickup_at=pickup, now=now).order
    assert (order.pickup_at, order.ready_estimate) == (pickup, pickup)


def test_price_changes_after_ordering_do_not_change_a_paid_order(store: Store, customer: Member) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    product("latte").__class__.objects.filter(sku="latte").update(price=99_900)
    order.refresh_from_db()
    assert (order.total, order.lines.get().unit_price) == (13_500, 13_500)


def test_a_coupon_discounts_the_order_and_is_redeemed(store: Store, customer: Member) -> None:
    template = CouponTemplate.objects.create(name="NT$50 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=5_000)
    coupon = coupon_issue(member=customer, template=template, source="test")
    order = ahead_order_place(member=customer, store=store, lines=[latte()], coupon_code=coupon.code).order
    assert (order.total, order.discount) == (8_500, 5_000)
    assert balance(customer) == 100_000 - 8_500
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None and coupon.order_reference == order.reference


def nothing_charged(customer: Member) -> None:
    assert balance(customer) == 100_000
    assert not Order.objects.filter(channel="ahead").exists()
    assert not Payment.objects.exists()


REFUSALS: dict[str, tuple[type[TillError], str]] = {
    "off": (StoreClosed, "store_closed"),
    "paused": (OrderAheadPaused, "order_ahead_paused"),
    "closed_now": (StoreClosed, "store_closed"),
    "pickup_past": (PickupInvalid, "pickup_invalid"),
    "pickup_tomorrow": (PickupInvalid, "pickup_invalid"),
    "pickup_after_closing": (StoreClosed, "store_closed"),
    "product_sold_out": (ItemSoldOut, "item_sold_out"),
    "option_sold_out": (ItemSoldOut, "item_sold_out"),
    "default_option_sold_out": (ItemSoldOut, "item_sold_out"),
    "inactive_product": (ItemSoldOut, "item_sold_out"),
    "option_not_of_product": (ModifierInvalid, "modifier_invalid"),
    "two_sizes": (ModifierInvalid, "modifier_invalid"),
    "quantity_zero": (TillError, "till_error"),
    "no_lines": (TillError, "till_error"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_names_its_code_and_charges_nothing(store: Store, customer: Member, case: str) -> None:
    now = timezone.now()
    local_now = now.astimezone(store_zone(store))
    lines = [latte()]
    pickup = None
    if case == "off":
        Store.objects.filter(pk=store.pk).update(ahead_enabled=False)
    elif case == "paused":
        store_ahead_pause(store=store, until=now + timedelta(minutes=30), reason="Two baristas off sick")
    elif case == "closed_now":
        store.hours.filter(weekday=local_now.weekday()).delete()  # not open today at all
    elif case == "pickup_past":
        pickup = now - timedelta(minutes=5)
    elif case == "pickup_tomorrow":
        pickup = now + timedelta(days=1)
    elif case == "pickup_after_closing":
        pickup = local_now.replace(hour=21, minute=0)
    elif case == "product_sold_out":
        product_sold_out_set(product=product("latte"), store=store, sold_out=True)
    elif case == "option_sold_out":
        modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=True)
        lines = [latte(1, "Oat milk")]
    elif case == "default_option_sold_out":
        modifier_sold_out_set(option=option("Whole milk"), store=store, sold_out=True)
    elif case == "inactive_product":
        product("latte").__class__.objects.filter(sku="latte").update(is_active=False)
    elif case == "option_not_of_product":
        lines = [AheadLine(product=product("croissant"), modifier_ids=(option("Oat milk").pk,))]
    elif case == "two_sizes":
        lines = [latte(1, "Small", "Large")]
    elif case == "quantity_zero":
        lines = [latte(0)]
    elif case == "no_lines":
        lines = []
    error, code = REFUSALS[case]
    with pytest.raises(error) as refused:
        ahead_order_place(member=customer, store=store, lines=lines, pickup_at=pickup, now=now)
    assert refused.value.code == code
    nothing_charged(customer)


def test_a_paused_store_says_why_and_resumes_by_itself(store: Store, customer: Member) -> None:
    now = timezone.now()
    store_ahead_pause(store=store, until=now + timedelta(minutes=10), reason="Rush hour")
    with pytest.raises(OrderAheadPaused, match="Rush hour"):
        ahead_order_place(member=customer, store=store, lines=[latte()], now=now)
    later = now + timedelta(minutes=11)
    assert ahead_order_place(member=customer, store=store, lines=[latte()], now=later).order.status == "paid"


def test_the_wallet_refusals_charge_nothing(store: Store, make_member: Callable[..., Member]) -> None:
    poor = make_member("Poor", balance=10_000)
    with pytest.raises(InsufficientFunds):
        ahead_order_place(member=poor, store=store, lines=[latte()])
    assert balance(poor) == 10_000
    frozen = make_member("Frozen", balance=100_000)
    wallet_freeze(member=frozen, reason="lost phone", by_staff=False)
    with pytest.raises(AccountFrozen):
        ahead_order_place(member=frozen, store=store, lines=[latte()])
    assert balance(frozen) == 100_000
    assert not Order.objects.exists()


@pytest.fixture
def confirm_above_100(db: Any) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 10_000})
    ProgrammeSettings.forget_cached()


def test_above_the_limit_the_order_waits_out_of_the_queue_until_the_member_approves(
    store: Store, customer: Member, confirm_above_100: None
) -> None:
    placed = ahead_order_place(member=customer, store=store, lines=[latte()])
    assert placed.needs_confirmation and placed.order.status == "open"
    assert ahead_queue(store=store) == [] and balance(customer) == 100_000
    assert placed.payment is not None
    order_confirm_payment(payment_id=placed.payment.pk, member=customer, approve=True)
    placed.order.refresh_from_db()
    assert (placed.order.status, placed.order.prep_status) == ("paid", "received")
    assert ahead_queue(store=store) == [placed.order]
    assert balance(customer) == 100_000 - 13_500


@pytest.mark.parametrize("how", ["declined", "expired"])
def test_a_declined_or_expired_confirmation_voids_and_cancels_the_order(
    store: Store, customer: Member, confirm_above_100: None, how: str
) -> None:
    template = CouponTemplate.objects.create(name="NT$10 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=1_000)
    coupon = coupon_issue(member=customer, template=template, source="test")
    placed = ahead_order_place(member=customer, store=store, lines=[latte()], coupon_code=coupon.code)
    assert placed.payment is not None
    if how == "declined":
        order_confirm_payment(payment_id=placed.payment.pk, member=customer, approve=False)
    else:
        orders_expire_held(now=timezone.now() + timedelta(minutes=5))
    order = Order.objects.get(pk=placed.order.pk)
    assert (order.status, order.prep_status) == ("void", "cancelled") and order.cancelled_at is not None
    assert order.tenders.get().status == Tender.Status.FAILED
    assert ahead_queue(store=store) == [] and balance(customer) == 100_000
    coupon.refresh_from_db()
    assert coupon.reserved_for == ""  # free for another order
