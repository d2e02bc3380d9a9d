"""Money controls: no one alone loads unlimited value into wallets (top-up
caps per terminal and per person, proof for card top-ups, a small first day
for members a terminal enrolled) or refunds without limit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from members.models import Member
from payments.exceptions import ApprovalRefused, RefundRequiresApproval, TopUpLimitExceeded
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, OrderRefund, Product, ProgrammeSettings, RiskAlert, Store, StoreStaff, TopUp
from payments.selectors.ledger import ledger_problems
from payments.services.orders import order_add_product, order_add_tender, order_open, order_refund
from payments.services.top_ups import wallet_top_up

pytestmark = pytest.mark.django_db


def top_up_api(api: APIClient, member: Member, amount: int, **extra: Any) -> Any:
    body = {"member": member.card_number, "amount": amount, "tender": "cash", **extra}
    return api.post("/api/v1/topups", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def test_the_default_terminal_cap_refuses_before_nt200000_a_day(
    api: APIClient, make_member: Callable[..., Member], programme: ProgrammeSettings
) -> None:
    assert programme.terminal_daily_top_up_cap < 20_000_000  # NT$200,000
    ProgrammeSettings.objects.filter(pk=programme.pk).update(wallet_cap=10**10, max_top_up=10**9)
    ProgrammeSettings.forget_cached()
    members = [make_member() for _ in range(11)]
    for member in members[:10]:
        assert top_up_api(api, member, 1_000_000).status_code == 201  # NT$10,000 each: NT$100,000 in all
    refused = top_up_api(api, members[10], 1_000_000)
    assert refused.status_code == 422 and refused.json()["code"] == "top_up_limit_exceeded"
    assert "daily cap" in refused.json()["detail"]
    assert top_up_api(api, members[10], 1_000_000).status_code == 422
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.TOP_UP_LIMIT).count() == 1  # the first refusal only
    assert TopUp.objects.count() == 10 and ledger_problems() == []


def test_a_card_top_up_needs_the_card_slips_authorisation_code(
    api: APIClient, client: Client, barista_user: Any, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    no_proof = top_up_api(api, member, 50_000, tender="card")
    assert no_proof.status_code == 400 and "card_reference" in no_proof.json()["errors"]
    assert top_up_api(api, member, 50_000, tender="card", card_reference="AUTH-1234").status_code == 201
    assert TopUp.objects.get().gateway_reference == "AUTH-1234"

    StoreStaff.objects.create(user=barista_user, store=Store.objects.get(), role="Barista")
    client.force_login(barista_user)
    form = {"card": member.card_number, "amount": "500", "tender": "card", "key": "t-1"}
    assert "authorisation code" in client.post("/pos/top-up/", form).content.decode()
    assert TopUp.objects.count() == 1


def test_a_terminal_can_top_up_a_member_it_just_enrolled_only_a_little(
    api: APIClient, programme: ProgrammeSettings
) -> None:
    enrolled = api.post("/api/v1/members", {"email": "new@example.com", "name": "New"}, format="json")
    member = Member.objects.get(pk=enrolled.json()["id"])
    cap = programme.new_member_first_day_top_up_cap
    assert top_up_api(api, member, cap).status_code == 201
    refused = top_up_api(api, member, 10_000)
    assert refused.status_code == 422 and refused.json()["code"] == "top_up_limit_exceeded"
    assert "first day" in refused.json()["detail"]
    assert TopUp.objects.count() == 1 and ledger_problems() == []


def test_a_barista_past_their_own_daily_top_up_total_is_refused(
    client: Client, barista_user: Any, make_member: Callable[..., Member], programme: ProgrammeSettings
) -> None:
    ProgrammeSettings.objects.filter(pk=programme.pk).update(staff_daily_top_up_cap=150_000)
    ProgrammeSettings.forget_cached()
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    wallet_top_up(member=make_member(), amount=100_000, tender="cash", store=store, actor=barista_user)
    with pytest.raises(TopUpLimitExceeded, match="your daily cap"):
        wallet_top_up(member=make_member(), amount=60_000, tender="cash", store=store, actor=barista_user)
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.TOP_UP_LIMIT).count() == 1
    # A person's own cap, set by a manager, counts instead of the programme's.
    StoreStaff.objects.filter(user=barista_user).update(daily_top_up_cap=200_000)
    wallet_top_up(member=make_member(), amount=60_000, tender="cash", store=store, actor=barista_user)
    assert TopUp.objects.count() == 2 and ledger_problems() == []


def test_past_their_own_daily_refund_total_a_manager_must_approve(
    barista_user: Any, shift_manager_user: Any, manager_user: Any, programme: ProgrammeSettings
) -> None:
    ProgrammeSettings.objects.filter(pk=programme.pk).update(staff_daily_refund_cap=20_000)
    ProgrammeSettings.forget_cached()
    load_menu_demo()
    store = Store.objects.create(name="Da'an", slug="daan")

    def card_sale() -> Order:
        order = order_open(store=store, barista=barista_user)
        order_add_product(order=order, product=Product.objects.get(sku="croissant"))  # NT$80
        order_add_tender(order=order, kind="card", idempotency_key=uuid.uuid4().hex, actor=barista_user)
        order.refresh_from_db()
        return order

    order_refund(order=card_sale(), actor=barista_user)
    order_refund(order=card_sale(), actor=barista_user)  # NT$160 so far
    third = card_sale()
    with pytest.raises(RefundRequiresApproval, match="a manager approves"):
        order_refund(order=third, actor=barista_user)  # NT$240 would pass NT$200
    with pytest.raises(ApprovalRefused, match="Only a manager"):
        order_refund(order=third, actor=barista_user, approved_by=shift_manager_user)
    order_refund(order=third, actor=barista_user, approved_by=manager_user)
    assert OrderRefund.objects.filter(actor=barista_user).count() == 3
    assert OrderRefund.objects.get(order=third).approved_by == manager_user
    assert ledger_problems() == []
