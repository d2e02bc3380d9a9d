"""The member's wallet pages: pay code, history, top-up, limits, freeze, confirm."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member
from payments.models import Account, IdempotencyRecord, Payment, TopUp
from payments.selectors.ledger import ledger_problems
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(django_user_model: Any) -> tuple[Client, Member]:
    user = django_user_model.objects.create_user(username="w", email="w@example.com", password="long-pass-1234")
    member = MemberFactory.create(user=user, display_name="Wen", email="w@example.com")
    client = Client()
    client.force_login(user)
    return client, member


def test_pay_code_partial_shows_qr_and_18_digits(signed_in: tuple[Client, Member]) -> None:
    client, member = signed_in
    response = client.post("/pay/code/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    code = re.search(r'data-code="(\d{18})"', html)
    assert code is not None
    # The code shown pays exactly once.
    wallet_top_up(member=member, amount=20_000, tender="cash")
    assert pay_from_wallet(code=code.group(1), amount=5_000).status == "succeeded"


def test_frozen_wallet_shows_no_code(signed_in: tuple[Client, Member]) -> None:
    client, member = signed_in
    client.post("/wallet/freeze/", {"reason": "lost phone"})
    html = client.post("/pay/code/", HTTP_HX_REQUEST="true").content.decode()
    assert "data-code" not in html
    assert Account.objects.get(member=member).is_frozen
    asked = client.post("/wallet/unfreeze/")  # undoing a freeze asks who it is first
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert Account.objects.get(member=member).is_frozen
    client.post(asked["Location"], {"password": "long-pass-1234"})
    assert not Account.objects.get(member=member).is_frozen


def test_portal_top_up_uses_the_test_gateway_once_per_form(signed_in: tuple[Client, Member]) -> None:
    client, member = signed_in
    data = {"amount": "500", "token": "tok-1"}
    assert client.post("/wallet/top-up/", data).status_code == 302
    assert client.post("/wallet/top-up/", data).status_code == 302  # double submit
    top_ups = TopUp.objects.filter(member=member)
    assert [(t.amount, t.tender) for t in top_ups] == [(50_000, "online")]
    assert top_ups[0].gateway_reference.startswith("test_")
    assert Account.objects.get(member=member).balance == 50_000
    assert IdempotencyRecord.objects.filter(key="form:tok-1").count() == 1
    assert ledger_problems() == []


def test_top_up_page_shows_running_bonuses_on_the_amounts(signed_in: tuple[Client, Member]) -> None:
    from datetime import timedelta

    from payments.models import TopUpBonusRule

    client, member = signed_in
    TopUpBonusRule.objects.create(name="1000 get 100", min_amount=100_000, bonus=10_000)
    TopUpBonusRule.objects.create(
        name="over", min_amount=50_000, bonus=9_999, ends_at=timezone.now() - timedelta(days=1)
    )
    page = client.get("/wallet/top-up/").content.decode()
    assert "Top up NT$1,000 or more: +NT$100 bonus" in page
    assert "NT$99.99" not in page and "NT$100" in page  # the ended rule is not offered
    assert page.count('class="pill-bonus"') == 2  # on the NT$1,000 and NT$2,000 amounts
    client.post("/wallet/top-up/", {"amount": "1000", "token": "tok-bonus"})
    assert TopUp.objects.get(member=member).bonus == 10_000


@pytest.mark.parametrize("amount", ["", "abc", "-5", "0.001", "99999999999", "1"])
def test_bad_top_up_amounts_get_a_form_message(signed_in: tuple[Client, Member], amount: str) -> None:
    client, member = signed_in
    response = client.post("/wallet/top-up/", {"amount": amount, "token": f"t-{amount}"})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not TopUp.objects.exists()


def test_member_lowers_limits_but_cannot_raise_them_above_the_programme(signed_in: tuple[Client, Member]) -> None:
    client, member = signed_in
    assert client.post("/wallet/limits/", {"daily_limit": "300", "no_confirmation_limit": "100"}).status_code == 302
    wallet = Account.objects.get(member=member)
    assert (wallet.daily_limit, wallet.no_confirmation_limit) == (30_000, 10_000)
    response = client.post("/wallet/limits/", {"daily_limit": "999999", "no_confirmation_limit": ""})
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_member_confirms_a_large_payment_in_the_portal(signed_in: tuple[Client, Member]) -> None:
    client, member = signed_in
    wallet_top_up(member=member, amount=200_000, tender="cash")
    pending = pay_from_wallet(member=member, amount=80_000)
    assert pending.status == "requires_confirmation"
    assert b"pending-payment" in client.get("/wallet/pending/").content
    assert client.get(f"/wallet/confirm/{pending.pk}/").status_code == 200
    client.post(f"/wallet/confirm/{pending.pk}/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED
    assert Account.objects.get(member=member).balance == 120_000
    assert b"recent-payment" in client.get("/wallet/pending/").content


def test_someone_elses_payment_is_not_found(signed_in: tuple[Client, Member]) -> None:
    client, _ = signed_in
    other = MemberFactory.create(display_name="Other", balance=200_000)
    pending = pay_from_wallet(member=other, amount=80_000)
    assert client.get(f"/wallet/confirm/{pending.pk}/").status_code == 404
    assert client.post(f"/wallet/confirm/{pending.pk}/", {"decision": "approve"}).status_code == 404


def test_wallet_history_filters_by_month_with_constant_queries(
    signed_in: tuple[Client, Member], django_assert_max_num_queries: Any
) -> None:
    client, member = signed_in
    for _ in range(3):
        wallet_top_up(member=member, amount=10_000, tender="cash")
    with django_assert_max_num_queries(14):
        response = client.get("/wallet/")
    assert response.content.count(b"history-item") == 3
    for _ in range(10):
        wallet_top_up(member=member, amount=10_000, tender="cash")
    with django_assert_max_num_queries(14):
        response = client.get("/wallet/")
    assert response.content.count(b"history-item") == 13
    this_month = timezone.localdate().strftime("%Y-%m")
    assert f'<option value="{this_month}">'.encode() in response.content  # the filter offers recent months
    assert client.get(f"/wallet/?month={this_month}").content.count(b"history-item") == 13
    old_month = client.get("/wallet/?month=1999-01").content
    assert old_month.count(b"history-item") == 0
    assert b'<option value="1999-01" selected>' in old_month  # a month from further back stays chosen
    assert client.get("/wallet/?month=garbage").status_code == 200


def test_anonymous_is_sent_to_login() -> None:
    response = Client().get("/wallet/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_without_a_gateway_online_top_up_is_off(signed_in: tuple[Client, Member], settings: Any) -> None:
    settings.CAFE_TEST_GATEWAY = False
    client, member = signed_in
    page = client.get("/wallet/top-up/")
    assert b"at any counter" in page.content
    client.post("/wallet/top-up/", {"amount": "500", "token": "t-off"})
    assert not TopUp.objects.exists()
