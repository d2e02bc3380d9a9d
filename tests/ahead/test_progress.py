"""An order ahead behind the counter: forward only, the member told when it
is ready; cancel until started, refunded in full at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import CouponTemplate
from members.models import Member, Notice
from members.services import consent_record
from payments.models import Account, Order, ProgrammeSettings, Store
from payments.selectors.ahead import ahead_queue
from payments.services.ahead import (
    OrderNotCancellable,
    OrderStatusInvalid,
    ahead_order_advance,
    ahead_order_cancel,
    ahead_order_place,
)
from tests.ahead.conftest import latte

pytestmark = pytest.mark.django_db


def balance(member: Member) -> int:
    return Account.objects.get(member=member).balance


def test_the_barista_takes_it_forward_and_the_member_hears_when_it_is_ready(
    store: Store, customer: Member, django_capture_on_commit_callbacks: Any
) -> None:
    consent_record(member=customer, channel="email", purpose="activity", granted=True)
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    started = ahead_order_advance(order=order, status="preparing")
    assert started.prep_status == "preparing" and started.started_at is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ready = ahead_order_advance(order=order, status="ready")
    assert ready.ready_at is not None
    notice = customer.notices.filter(kind=Notice.Kind.ORDER).get()
    assert "ready" in notice.title and notice.link == f"/orders/{order.pk}/"
    assert [m.subject for m in mail.outbox] == [notice.title]
    done = ahead_order_advance(order=order, status="collected")
    assert done.prep_status == "collected" and done.collected_at is not None
    assert ahead_queue(store=store) == []


def test_no_step_goes_back_and_a_repeated_step_changes_nothing(store: Store, customer: Member) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    ready = ahead_order_advance(order=order, status="ready")  # a skipped step is stamped too
    assert ready.started_at is not None
    assert ahead_order_advance(order=order, status="ready").ready_at == ready.ready_at
    with pytest.raises(OrderStatusInvalid):
        ahead_order_advance(order=order, status="preparing")
    with pytest.raises(OrderStatusInvalid):
        ahead_order_advance(order=order, status="received")
    assert customer.notices.filter(kind=Notice.Kind.ORDER).count() == 1


def test_cancel_before_start_refunds_everything_at_once(store: Store, customer: Member) -> None:
    template = CouponTemplate.objects.create(name="NT$20 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=2_000)
    coupon = coupon_issue(member=customer, template=template, source="test")
    points_before = Member.objects.get(pk=customer.pk).points_balance
    # Above the refund-approval threshold: the member's own cancel needs no second person.
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"refund_approval_threshold": 1_000})
    ProgrammeSettings.forget_cached()
    order = ahead_order_place(member=customer, store=store, lines=[latte(2)], coupon_code=coupon.code).order
    assert Member.objects.get(pk=customer.pk).points_balance > points_before
    cancelled = ahead_order_cancel(order=order, member=customer)
    assert cancelled.refund is not None and cancelled.refund.amount == order.total
    assert cancelled.wallet_balance == balance(customer) == 100_000
    order.refresh_from_db()
    assert (order.status, order.prep_status) == ("refunded", "cancelled") and order.cancelled_at is not None
    assert Member.objects.get(pk=customer.pk).points_balance == points_before
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None  # released: the member can use it again
    assert ahead_queue(store=store) == []
    with pytest.raises(OrderStatusInvalid):
        ahead_order_advance(order=order, status="preparing")
    again = ahead_order_cancel(order=order, member=customer)  # a retried cancel answers the same
    assert again.refund is not None and again.refund.pk == cancelled.refund.pk
    assert balance(customer) == 100_000


def test_a_started_order_cannot_be_cancelled_and_keeps_its_money(store: Store, customer: Member) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    ahead_order_advance(order=order, status="preparing")
    with pytest.raises(OrderNotCancellable):
        ahead_order_cancel(order=order, member=customer)
    order.refresh_from_db()
    assert (order.status, order.prep_status, order.refunded_amount) == ("paid", "preparing", 0)
    assert balance(customer) == 100_000 - 13_500


def test_only_the_member_who_ordered_can_cancel(store: Store, customer: Member, make_member: Any) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    with pytest.raises(OrderNotCancellable):
        ahead_order_cancel(order=order, member=make_member("Other"))
    assert Order.objects.get(pk=order.pk).prep_status == "received"


def test_cancelling_while_it_waits_for_confirmation_declines_the_payment(store: Store, customer: Member) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 10_000})
    ProgrammeSettings.forget_cached()
    placed = ahead_order_place(member=customer, store=store, lines=[latte()])
    cancelled = ahead_order_cancel(order=placed.order, member=customer)
    assert cancelled.refund is None
    assert (cancelled.order.status, cancelled.order.prep_status) == ("void", "cancelled")
    assert placed.payment is not None
    placed.payment.refresh_from_db()
    assert placed.payment.status == "declined" and balance(customer) == 100_000


def test_the_queue_is_by_pickup_time(store: Store, customer: Member) -> None:
    now = timezone.now()
    later = ahead_order_place(member=customer, store=store, lines=[latte()], pickup_at=now + timedelta(hours=1)).order
    soon = ahead_order_place(member=customer, store=store, lines=[latte()], now=now).order
    assert ahead_queue(store=store) == [soon, later]
    assert ahead_queue(store=store, prep_statuses=["cancelled"]) == []
