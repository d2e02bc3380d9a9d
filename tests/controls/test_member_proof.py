"""Money controls: a member's points and coupons are spent at the till only with
their live payment code scanned for the order. The card number printed on every
receipt identifies the member for earning, nothing more; an expired, retired or
used code proves nothing (and replayed codes reach the managers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import Coupon, CouponTemplate
from members.models import Member, PointsEntry
from members.points import points_earn
from members.selectors import points_problems
from members.services import member_create
from payments.exceptions import PaymentCodeExpired, PaymentCodeInvalid, PaymentCodeUsed
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, PaymentCode, Product, RiskAlert, Store, Tender
from payments.selectors.ledger import ledger_problems
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import (
    TillError,
    order_add_product,
    order_add_tender,
    order_apply_coupon,
    order_attach_member,
    order_open,
)
from payments.services.top_ups import wallet_top_up
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db

PROVE = "Scan the member&#x27;s payment code on their phone to use their points or coupons."


@pytest.fixture
def regular(db: Any) -> Member:
    """A member with NT$500 in the wallet, 300 points and a NT$50-off coupon."""
    member = member_create(user=None, display_name="Mei", email="mei@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash")
    points_earn(member=member, points=300, source="order", reference="order:earlier")
    member.refresh_from_db()
    return member


@pytest.fixture
def coupon(regular: Member) -> Coupon:
    template = CouponTemplate.objects.create(name="NT$50 off", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=5_000)
    return coupon_issue(member=regular, template=template, source="test")


def open_order(client: Client, sku: str = "latte") -> Order:
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku=sku).pk}/", HTTP_HX_REQUEST="true")
    return order


def scan(client: Client, order: Order, text: str) -> str:
    return client.post(f"/pos/orders/{order.pk}/scan/", {"code": text}, HTTP_HX_REQUEST="true").content.decode()


def tap(client: Client, order: Order, kind: str, key: str, **extra: str) -> str:
    body = {"kind": kind, "key": key, **extra}
    return client.post(f"/pos/orders/{order.pk}/pay/", body, HTTP_HX_REQUEST="true").content.decode()


def assert_books_clean() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


def test_the_card_number_from_a_receipt_cannot_spend_points_or_coupons(
    pos_till: tuple[Client, Store], regular: Member, coupon: Coupon
) -> None:
    client, _ = pos_till
    order = open_order(client)
    page = scan(client, order, regular.card_number)
    # The till says plainly what the card does and does not allow.
    assert 'data-testid="till-card-only"' in page and 'data-testid="pay-points"' not in page

    refused_coupon = scan(client, order, coupon.code)
    assert PROVE in refused_coupon
    refused_points = tap(client, order, "points", "points-1")
    assert PROVE in refused_points

    order.refresh_from_db()
    assert (order.member, order.member_proven, order.discount, order.total) == (regular, False, 0, 13_500)
    assert not order.coupons.exists() and not Tender.objects.filter(order=order).exists()
    coupon.refresh_from_db()
    assert (coupon.redeemed_at, coupon.reserved_for) == (None, "")
    regular.refresh_from_db()
    assert regular.points_balance == 300
    assert not PointsEntry.objects.filter(member=regular, kind="spend").exists()
    # The card still earns: paid by card, the order earns the member's points.
    tap(client, order, "card", "card-1")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.points_earned > 0
    assert_books_clean()


@pytest.mark.parametrize("dead", ["expired", "retired", "used"])
def test_a_dead_payment_code_proves_nothing(
    pos_till: tuple[Client, Store], regular: Member, coupon: Coupon, dead: str
) -> None:
    client, _ = pos_till
    code = payment_code_issue(member=regular).code
    if dead == "expired":
        PaymentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        said = "The code expired. Ask the member to show the new code and scan again."
    elif dead == "retired":
        for _ in range(5):  # a sixth live code retires the oldest
            payment_code_issue(member=regular)
        said = "The code expired. Ask the member to show the new code and scan again."
    else:
        pay_from_wallet(code=code, amount=1_000)
        said = "That code was already used. Ask for the new code on their phone."
    regular.refresh_from_db()
    points_before = regular.points_balance
    order = open_order(client)
    page = scan(client, order, code)
    assert said in page
    order.refresh_from_db()
    assert (order.member, order.member_proven, order.scanned_code_hash) == (None, False, "")

    assert PROVE in scan(client, order, coupon.code)
    assert "Scan the member" in tap(client, order, "points", "points-1")
    assert not order.coupons.exists() and not Tender.objects.filter(order=order).exists()
    regular.refresh_from_db()
    assert regular.points_balance == points_before
    assert_books_clean()


def test_replaying_dead_codes_at_the_till_alerts_the_managers(pos_till: tuple[Client, Store], regular: Member) -> None:
    client, _ = pos_till
    code = payment_code_issue(member=regular).code
    pay_from_wallet(code=code, amount=1_000)
    order = open_order(client)
    for _ in range(5):  # the programme's default threshold
        scan(client, order, code)
    alert = RiskAlert.objects.get(kind=RiskAlert.Kind.FAILED_CODES)
    assert alert.member == regular and "5 refused payment codes" in alert.detail
    assert_books_clean()


def test_a_live_code_lets_the_member_use_coupons_and_points_until_it_pays(
    pos_till: tuple[Client, Store], regular: Member, coupon: Coupon
) -> None:
    client, _ = pos_till
    order = open_order(client)
    client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku='croissant').pk}/", HTTP_HX_REQUEST="true")
    page = scan(client, order, payment_code_issue(member=regular).code)
    assert "Member found" in page and 'data-testid="pay-points"' in page
    assert "Coupon applied: NT$50 off" in scan(client, order, coupon.code)
    order.refresh_from_db()
    assert (order.member_proven, order.total) == (True, 13_500 + 8_000 - 5_000)

    # Part by wallet: the code pays, so it proves nothing more.
    tap(client, order, "wallet", "wallet-1", amount="100")
    order.refresh_from_db()
    assert (order.status, order.member_proven, order.scanned_code_hash) == ("open", False, "")
    assert PROVE in tap(client, order, "points", "points-1")
    # A fresh code proves the member again; points pay the rest.
    scan(client, order, payment_code_issue(member=regular).code)
    tap(client, order, "points", "points-2")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert [(t.kind, t.amount) for t in order.tenders.all()] == [("wallet", 10_000), ("points", 6_500)]
    regular.refresh_from_db()
    assert regular.points_balance == 300 - 65 + order.points_earned
    coupon.refresh_from_db()
    assert coupon.order_reference == order.reference and coupon.redeemed_at is not None
    assert_books_clean()


def test_scanning_the_card_after_the_code_withdraws_the_proof(
    pos_till: tuple[Client, Store], regular: Member, coupon: Coupon
) -> None:
    client, _ = pos_till
    order = open_order(client)
    scan(client, order, payment_code_issue(member=regular).code)
    scan(client, order, regular.card_number)
    order.refresh_from_db()
    assert (order.member_proven, order.scanned_code_hash) == (False, "")
    assert PROVE in scan(client, order, coupon.code)
    assert_books_clean()


def test_the_services_check_the_proof_whoever_calls_them(barista_user: Any, regular: Member, coupon: Coupon) -> None:
    load_menu_demo()
    store = Store.objects.create(name="Xinyi", slug="xinyi")
    order = order_open(store=store, barista=barista_user)
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order.refresh_from_db()
    other = member_create(user=None, display_name="Other", email="other@example.com")
    # Someone else's live code does not prove this member.
    with pytest.raises(PaymentCodeInvalid):
        order_attach_member(
            order=order, member=regular, scanned_code_hash=hash_payment_code(payment_code_issue(member=other).code)
        )
    # A code's hash that is dead is refused by the service, not only the view.
    used = payment_code_issue(member=regular).code
    pay_from_wallet(code=used, amount=1_000)
    with pytest.raises(PaymentCodeUsed):
        order_attach_member(order=order, member=regular, scanned_code_hash=hash_payment_code(used))
    stale = payment_code_issue(member=regular).code
    PaymentCode.objects.filter(code_hash=hash_payment_code(stale)).update(expires_at=timezone.now())
    with pytest.raises(PaymentCodeExpired):
        order_attach_member(order=order, member=regular, scanned_code_hash=hash_payment_code(stale))

    order_attach_member(order=order, member=regular)  # the card
    with pytest.raises(TillError, match="payment code on their phone"):
        order_apply_coupon(order=order, code=coupon.code)
    with pytest.raises(TillError, match="payment code on their phone"):
        order_add_tender(order=order, kind="points", idempotency_key="p", actor=barista_user)
    order.refresh_from_db()
    assert (order.member_proven, order.discount) == (False, 0) and not order.tenders.exists()
    assert_books_clean()
