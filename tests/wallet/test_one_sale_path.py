"""One sale path: a payment over the API and a wallet tender at the till are the
same kind of sale (an order with tenders), earn once, refund once through the
order from either side, show on the Z report, and need an approver on the
order's cumulative refunds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from campaigns.coupons import coupon_issue
from campaigns.models import CouponTemplate
from members.models import Member, Notice, PointsEntry, PointsLot, Visit
from payments.exceptions import RefundRequiresApproval
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import (
    Order,
    OrderRefund,
    Payment,
    Product,
    ProgrammeSettings,
    Store,
    StoreStaff,
    Tender,
    Transfer,
)
from payments.selectors.shifts import z_report
from payments.services.codes import hash_payment_code
from payments.services.orders import (
    order_add_product,
    order_add_tender,
    order_apply_coupon,
    order_attach_member,
    order_open,
    order_refund,
    order_refund_amount,
)
from payments.services.shifts import shift_open
from tests.wallet.conftest import idem

pytestmark = pytest.mark.django_db


def api_pay(api: APIClient, code: str, amount: int) -> Any:
    return api.post("/api/v1/payments", {"payment_code": code, "amount": amount}, format="json", **idem())


def api_refund(api: APIClient, payment_id: int, amount: int | None = None) -> Any:
    body = {} if amount is None else {"amount": amount}
    return api.post(f"/api/v1/payments/{payment_id}/refunds", body, format="json", **idem())


def till_wallet_sale(store: Store, barista: Any, member: Member, code: str, sku: str = "americano") -> Order:
    """A till order of one product, paid with the wallet by the scanned code."""
    order = order_open(store=store, barista=barista)
    order_add_product(order=order, product=Product.objects.get(sku=sku))
    order.refresh_from_db()
    order_attach_member(order=order, member=member, scanned_code_hash=hash_payment_code(code))
    order_add_tender(order=order, kind=Tender.Kind.WALLET, idempotency_key=uuid.uuid4().hex, actor=barista)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def rows_of(order: Order) -> dict[str, Any]:
    """The rows a sale leaves behind, in a form two sales can be compared by."""
    return {
        "tenders": [(t.kind, t.status, t.amount) for t in order.tenders.all()],
        "transfers": list(
            Transfer.objects.filter(payment__tender__order=order).values_list("kind", "amount").order_by("pk")
        ),
        "lots": list(PointsLot.objects.filter(reference=order.reference).values_list("points", "source")),
        "entries": list(PointsEntry.objects.filter(reference=order.reference).values_list("kind", "points")),
        "visits": list(Visit.objects.filter(reference=order.reference).values_list("amount", flat=True)),
        "points_earned": order.points_earned,
        "status": order.status,
    }


@pytest.fixture
def menu_store(shop: Store, barista_user: Any) -> Store:
    load_menu_demo()
    StoreStaff.objects.create(user=barista_user, store=shop, role="Barista")
    return shop


def test_an_api_payment_and_a_till_wallet_tender_leave_the_same_rows(
    api: APIClient,
    menu_store: Store,
    barista_user: Any,
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
) -> None:
    till_member, api_member = make_member(balance=50_000), make_member(balance=50_000)
    till_order = till_wallet_sale(menu_store, barista_user, till_member, code_for(till_member))
    response = api_pay(api, code_for(api_member), till_order.total)
    assert response.status_code == 201, response.content
    api_order = Payment.objects.get(pk=response.json()["id"]).tender.order
    assert api_order.channel == Order.Channel.API and till_order.channel == Order.Channel.TILL
    assert rows_of(api_order) == rows_of(till_order)
    assert rows_of(api_order)["lots"] == [(till_order.total // 1_000, "order")]  # 1 point per NT$10
    assert response.json()["points_earned"] == till_order.total // 1_000
    kinds = sorted(Notice.objects.filter(member=till_member).exclude(title__startswith="Top-up").values_list("kind"))
    assert kinds == sorted(
        Notice.objects.filter(member=api_member).exclude(title__startswith="Top-up").values_list("kind")
    )


def test_an_api_refund_of_a_till_sale_goes_through_the_order_and_the_z_report(
    api: APIClient,
    menu_store: Store,
    barista_user: Any,
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
    shift_manager_user: Any,
) -> None:
    shift = shift_open(store=menu_store, user=shift_manager_user, opening_float=0)
    member = make_member(balance=50_000)
    order = till_wallet_sale(menu_store, barista_user, member, code_for(member))
    payment = order.tenders.get().payment
    assert payment is not None and order.shift == shift
    member.refresh_from_db()
    assert member.points_balance == order.points_earned == 10

    response = api_refund(api, payment.pk)
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == order.total and response.json()["wallet_balance"] == 50_000
    order.refresh_from_db()
    member.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == order.total
    assert order.tenders.get().refunded_amount == order.total
    assert member.points_balance == 0
    assert PointsEntry.objects.filter(reference=order.reference, kind=PointsEntry.Kind.REVERSE).count() == 1
    report = z_report(shift=shift)
    assert report.refunds == order.total and report.by_tender == {"wallet": order.total}
    assert OrderRefund.objects.get(order=order).shift == shift


def test_a_till_refund_of_an_api_payment_reverses_points_once_and_shows_on_the_z_report(
    api: APIClient,
    menu_store: Store,
    barista_user: Any,
    make_member: Callable[..., Member],
    code_for: Any,
    shift_manager_user: Any,
) -> None:
    shift = shift_open(store=menu_store, user=shift_manager_user, opening_float=0)
    member = make_member(balance=50_000)
    response = api_pay(api, code_for(member), 12_000)
    order = Payment.objects.get(pk=response.json()["id"]).tender.order
    assert order.shift == shift
    order_refund(order=order, actor=barista_user)
    order.refresh_from_db()
    member.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and member.points_balance == 0
    assert PointsEntry.objects.filter(reference=order.reference, kind=PointsEntry.Kind.REVERSE).count() == 1
    assert Payment.objects.get(pk=response.json()["id"]).refunded_amount == 12_000
    assert api.get(f"/api/v1/payments/{response.json()['id']}").json()["refunded_amount"] == 12_000
    report = z_report(shift=shift)
    assert (report.orders, report.gross_sales, report.refunds, report.net_sales) == (1, 12_000, 12_000, 0)


def test_a_payment_approved_on_the_phone_earns_points_once_in_one_receipt_notice(
    api: APIClient, make_member: Callable[..., Member], code_for: Any, programme: ProgrammeSettings
) -> None:
    member = make_member(balance=100_000)
    pending = api_pay(api, code_for(member), 60_000)  # above the default NT$500 limit
    assert pending.status_code == 202, pending.content
    phone = APIClient()
    assert member.user is None
    from django.contrib.auth import get_user_model

    member.user = get_user_model().objects.create_user(username="phone", email=member.email)
    member.save(update_fields=["user"])
    phone.force_authenticate(member.user)
    notices_before = set(Notice.objects.filter(member=member).values_list("pk", flat=True))
    approved = phone.post(f"/api/v1/me/payments/{pending.json()['id']}/confirm", {"approve": True}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "succeeded" and approved.json()["points_earned"] == 60
    order = Payment.objects.get(pk=pending.json()["id"]).tender.order
    assert order.status == Order.Status.PAID
    assert list(PointsEntry.objects.filter(member=member).values_list("kind", "points")) == [("earn", 60)]
    # One purchase, one notice: the receipt, with the points and the rating prompt in it.
    made = Notice.objects.filter(member=member).exclude(pk__in=notices_before)
    assert [(n.kind, n.title) for n in made] == [("wallet", "Receipt NT$600 at Test Roastery")]
    assert "Points earned 60" in made[0].body and "How was your order?" in made[0].body
    member.refresh_from_db()
    assert member.points_balance == 60


def test_refunding_one_item_of_a_cash_and_wallet_order_gives_whole_cash_back_wallet_first(
    menu_store: Store, barista_user: Any, make_member: Callable[..., Member], code_for: Any
) -> None:
    member = make_member(balance=10_000)
    order = order_open(store=menu_store, barista=barista_user)
    order_add_product(order=order, product=Product.objects.get(sku="croissant"))  # NT$80
    order_add_product(order=order, product=Product.objects.get(sku="americano"))  # NT$105
    # An amount-off coupon of NT$3.33 makes the total fractional.
    template = CouponTemplate.objects.create(name="Odd", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=333)
    # Coupons need the member proven by their payment code, not the card number.
    order_attach_member(order=order, member=member, scanned_code_hash=hash_payment_code(code_for(member)))
    order_apply_coupon(order=order, code=coupon_issue(member=member, template=template, source="test").code)
    order.refresh_from_db()
    assert order.total == 18_167
    order_add_tender(order=order, kind="cash", idempotency_key="c", actor=barista_user, cash_received=10_000)
    order.refresh_from_db()
    order_attach_member(order=order, member=member, scanned_code_hash=hash_payment_code(code_for(member)))
    order_add_tender(order=order, kind="wallet", idempotency_key="w", actor=barista_user)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    americano = order.lines.get(product__sku="americano")
    # 105 of 185 of the NT$181.67 paid is NT$103.11: whole dollars only.
    assert order_refund_amount(order=order, quantities={americano.pk: 1}) == 10_300
    done = order_refund(order=order, actor=barista_user, quantities={americano.pk: 1})
    assert done.refund.amount == 10_300
    assert done.back_by_kind == {"wallet": 8_167, "cash": 2_133}
    # The rest of the order is what is left, and nothing is split in proportion.
    rest = order_refund(order=order, actor=barista_user)
    assert rest.back_by_kind == {"cash": 18_167 - 10_300}


def test_the_till_says_how_much_cash_to_hand_back(
    client: Client, menu_store: Store, barista_user: Any, make_member: Callable[..., Member]
) -> None:
    client.force_login(barista_user)
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku='croissant').pk}/", HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "cash", "key": "k", "cash_received": "100"})
    response = client.post(
        f"/pos/orders/{order.pk}/refund/", {"reason": "cold", "whole": "1", "confirm": "1"}, follow=True
    )
    assert f"Order #{order.pk}: refunded NT$80. Hand back NT$80 cash." in response.content.decode()


def test_an_order_opened_before_the_shift_belongs_to_the_shift_it_is_paid_in(
    menu_store: Store, barista_user: Any, shift_manager_user: Any
) -> None:
    order = order_open(store=menu_store, barista=barista_user)  # the till opened before the shift
    order_add_product(order=order, product=Product.objects.get(sku="croissant"))
    shift = shift_open(store=menu_store, user=shift_manager_user, opening_float=1_000)
    order_add_tender(order=order, kind="cash", idempotency_key="c", actor=barista_user)
    order.refresh_from_db()
    assert order.shift == shift
    report = z_report(shift=shift)
    assert (report.orders, report.gross_sales, report.expected_cash) == (1, 8_000, 9_000)


def test_the_member_can_be_scanned_after_a_part_cash_payment_and_the_wallet_takes_what_it_holds(
    client: Client, menu_store: Store, barista_user: Any, make_member: Callable[..., Member], code_for: Any
) -> None:
    member = make_member(balance=10_000)
    client.force_login(barista_user)
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    for sku in ("croissant", "americano", "americano"):  # NT$80 + 105 + 105 = 290
        client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku=sku).pk}/", HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "cash", "key": "c", "cash_received": "50"})
    scanned = client.post(f"/pos/orders/{order.pk}/scan/", {"code": code_for(member)}, HTTP_HX_REQUEST="true")
    assert "till-error" not in scanned.content.decode(), scanned.content.decode()
    assert 'data-testid="till-wallet-balance">NT$100<' in scanned.content.decode()
    page = scanned.content.decode()
    assert "Wallet NT$100 + NT$140 by card" in page  # 290 − 50 cash = 240 due
    assert 'name="wallet_part" value="100.00"' in page
    client.post(f"/pos/orders/{order.pk}/pay/", {"rest": "card", "key": "w", "wallet_part": "100.00"})
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert [(t.kind, t.amount) for t in order.tenders.all()] == [("cash", 5_000), ("wallet", 10_000), ("card", 14_000)]


def test_splitting_a_refund_above_the_threshold_still_needs_an_approver(
    api: APIClient,
    menu_store: Store,
    barista_user: Any,
    shift_manager_user: Any,
    make_member: Callable[..., Member],
    code_for: Any,
    programme: ProgrammeSettings,
) -> None:
    ProgrammeSettings.objects.filter(pk=programme.pk).update(refund_approval_threshold=10_000)
    ProgrammeSettings.forget_cached()
    member = make_member(balance=50_000)
    payment_id = api_pay(api, code_for(member), 15_000).json()["id"]
    assert api_refund(api, payment_id, 8_000).status_code == 201
    second = api_refund(api, payment_id, 6_000)  # 14,000 in all: above NT$100
    assert second.status_code == 403 and second.json()["code"] == "refund_requires_approval"

    order = order_open(store=menu_store, barista=barista_user)
    for sku in ("croissant", "croissant"):
        order_add_product(order=order, product=Product.objects.get(sku=sku))
    order_add_tender(order=order, kind="card", idempotency_key="card", actor=barista_user)
    order.refresh_from_db()
    first, second_line = order.lines.all()
    order_refund(order=order, actor=barista_user, quantities={first.pk: 1})  # NT$80
    with pytest.raises(RefundRequiresApproval):
        order_refund(order=order, actor=barista_user, quantities={second_line.pk: 1})  # NT$160 in all
    order_refund(order=order, actor=barista_user, approved_by=shift_manager_user, quantities={second_line.pk: 1})
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
