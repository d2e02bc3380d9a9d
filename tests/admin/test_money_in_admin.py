"""The admin shows money as money (NT$1,550), never as minor units (155000),
on list and detail pages, and takes money as people type it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from campaigns.models import Coupon, CouponTemplate
from members.models import Member
from payments.models import Account, Order, Shift, Store, Tender, TopUp, TopUpBonusRule, Transfer
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up

pytestmark = pytest.mark.django_db

AMOUNT = 155_000  # NT$1,550
SHOWN = "NT$1,550"
RAW = ("155000", "155,000", "155.000")


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


@pytest.fixture
def records(make_member: Any, manager_user: Any) -> dict[str, Any]:
    store = Store.objects.create(name="Da'an", slug="daan")
    member: Member = make_member("Ana")
    wallet_top_up(member=member, amount=AMOUNT, tender="cash", store=store)
    shift = shift_open(store=store, user=manager_user, opening_float=AMOUNT)
    # An order's figures as the till leaves them; the ledger is not involved.
    order = Order.objects.create(
        store=store, shift=shift, member=member, status=Order.Status.PAID, subtotal=AMOUNT, total=AMOUNT
    )
    Tender.objects.create(order=order, kind=Tender.Kind.CARD, amount=AMOUNT, idempotency_key="card-1")
    template = CouponTemplate.objects.create(
        name="Big one", kind=CouponTemplate.Kind.AMOUNT_OFF, amount_off=AMOUNT, min_spend=AMOUNT
    )
    rule = TopUpBonusRule.objects.create(name="Spring", min_amount=AMOUNT, bonus=AMOUNT)
    return {
        "order": order,
        "shift": shift,
        "wallet": Account.objects.get(member=member),
        "transfer": Transfer.objects.get(top_up__member=member),
        "topup": TopUp.objects.get(member=member),
        "coupontemplate": template,
        "topupbonusrule": rule,
        "member": member,
    }


PAGES = [
    ("payments", "order"),
    ("payments", "shift"),
    ("payments", "account"),
    ("payments", "transfer"),
    ("payments", "topup"),
    ("campaigns", "coupontemplate"),
    ("payments", "topupbonusrule"),
]


@pytest.mark.parametrize(("app", "model"), PAGES)
def test_list_and_detail_pages_show_money_not_minor_units(
    manager_client: Client, records: dict[str, Any], app: str, model: str
) -> None:
    key = "wallet" if model == "account" else model
    for url in (f"/admin/{app}/{model}/", f"/admin/{app}/{model}/{records[key].pk}/change/"):
        page = manager_client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert SHOWN in text or 'value="1550"' in text, url
        for raw in RAW:
            assert raw not in text, (url, raw)


def test_order_detail_shows_its_tenders_and_totals_as_money(manager_client: Client, records: dict[str, Any]) -> None:
    text = manager_client.get(f"/admin/payments/order/{records['order'].pk}/change/").content.decode()
    # total, subtotal and the card tender
    assert text.count(SHOWN) >= 3


def test_an_editable_amount_is_typed_in_currency_and_stored_in_minor_units(
    manager_client: Client, records: dict[str, Any]
) -> None:
    template = records["coupontemplate"]
    page = manager_client.get(f"/admin/campaigns/coupontemplate/{template.pk}/change/").content.decode()
    assert 'name="amount_off" value="1550"' in page

    form = {
        "name": "Welcome",
        "kind": "amount_off",
        "percent_off": "0",
        "amount_off": "NT$45.50",
        "buy_quantity": "0",
        "get_quantity": "0",
        "min_spend": "1,200",
        "valid_days": "30",
        "per_member_limit": "0",
        "total_limit": "0",
        "is_active": "on",
        "reason": "small enough to apply at once",
    }
    manager_client.post("/admin/campaigns/coupontemplate/add/", form)
    made = CouponTemplate.objects.get(name="Welcome")
    assert (made.amount_off, made.min_spend) == (4_550, 120_000)

    refused = manager_client.post("/admin/campaigns/coupontemplate/add/", {**form, "name": "Bad", "amount_off": "1e3"})
    assert "Type an amount in NT$" in refused.content.decode()
    assert not CouponTemplate.objects.filter(name="Bad").exists()


def test_a_coupon_shows_its_discount_as_money(manager_client: Client, records: dict[str, Any]) -> None:
    coupon = Coupon.objects.create(
        template=records["coupontemplate"],
        member=records["member"],
        code="ABCD1234",
        expires_at=records["order"].created_at,
        discount=AMOUNT,
    )
    text = manager_client.get(f"/admin/campaigns/coupon/{coupon.pk}/change/").content.decode()
    assert SHOWN in text and "155000" not in text


def test_a_shift_detail_shows_its_float_as_money(manager_client: Client, records: dict[str, Any]) -> None:
    shift: Shift = records["shift"]
    text = manager_client.get(f"/admin/payments/shift/{shift.pk}/change/").content.decode()
    assert SHOWN in text
