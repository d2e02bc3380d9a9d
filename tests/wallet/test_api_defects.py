"""Issue #13's behaviour defects, one test (or a few) each: what an integrator
found with a generated client and a fuzzer, and what the API answers now."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Account, Payment, Transfer
from payments.services.staff import staff_invite
from tests.conftest import PASSWORD, MemberFactory, make_user
from tests.helpers import pay_from_wallet
from tests.wallet.conftest import idem
from tests.wallet.test_api_contract import assert_problem, pay

pytestmark = pytest.mark.django_db


# --- 1. Enrolment never derives a username by cutting the address ---------------------------------

LONG_LOCAL_PART = "a" * 150  # two addresses alike in their first 150 characters


def enrol(api: APIClient, email: str) -> Any:
    return api.post("/api/v1/members", {"email": email, "name": "Long Address"}, format="json")


def test_two_long_addresses_sharing_their_first_150_characters_are_two_members(api: APIClient) -> None:
    first = enrol(api, f"{LONG_LOCAL_PART}1@example.com")
    second = enrol(api, f"{LONG_LOCAL_PART}2@example.com")
    assert first.status_code == second.status_code == 201, (first.content, second.content)
    assert first.json()["email"] != second.json()["email"]
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert len(usernames) == 2
    assert all(len(name) <= 150 for name in usernames)


def test_the_same_long_address_again_is_member_exists(api: APIClient) -> None:
    assert enrol(api, f"{LONG_LOCAL_PART}1@example.com").status_code == 201
    assert_problem(enrol(api, f"{LONG_LOCAL_PART}1@Example.com"), 409, "member_exists")
    assert Member.objects.count() == 1


def test_an_address_longer_than_the_model_keeps_is_a_validation_error(api: APIClient) -> None:
    too_long = "b" * 64 + "@" + ".".join(["c" * 60] * 3) + ".example.com"  # 259 characters
    assert len(too_long) > 254
    assert_problem(enrol(api, too_long), 400, "validation_error")
    assert not Member.objects.exists()


def test_staff_invited_with_long_addresses_get_their_own_accounts(shop: Any) -> None:
    first, _created = staff_invite(store=shop, email=f"{LONG_LOCAL_PART}1@example.com", role="Barista")
    second, _created = staff_invite(store=shop, email=f"{LONG_LOCAL_PART}2@example.com", role="Barista")
    assert first.pk != second.pk and first.username != second.username


# --- 3. A valid credential of the wrong kind is 403, a missing or bad one 401 ---------------------


@pytest.fixture
def member_session(client: Any, member_user: Any) -> Any:
    client.force_login(member_user)
    return client


@pytest.fixture
def member_token(member_user: Any) -> str:
    login = APIClient().post(
        "/_allauth/app/v1/auth/login", {"email": member_user.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content
    return str(login.json()["meta"]["session_token"])


def test_a_members_session_at_a_terminal_endpoint_is_403(member_session: Any, member: Member) -> None:
    assert_problem(member_session.get(f"/api/v1/members/{member.card_number}"), 403, "permission_denied")
    body = json.dumps({"payment_code": "9" * 18, "amount": 100})
    paid = member_session.post("/api/v1/payments", body, content_type="application/json", **idem())
    assert_problem(paid, 403, "permission_denied")


def test_a_members_token_at_a_terminal_endpoint_is_403(member_token: str, member: Member) -> None:
    client = APIClient(HTTP_X_SESSION_TOKEN=member_token)
    assert_problem(client.get(f"/api/v1/members/{member.card_number}"), 403, "permission_denied")


def test_a_terminal_key_at_the_members_endpoints_is_403(api: APIClient) -> None:
    assert_problem(api.get("/api/v1/me"), 403, "permission_denied")
    assert_problem(api.post("/api/v1/me/payment-code", format="json"), 403, "permission_denied")


def test_missing_or_invalid_credentials_stay_401_with_a_challenge(till: Any) -> None:
    anonymous = APIClient()
    for path in ("/api/v1/payments/1", "/api/v1/me"):
        answer = anonymous.get(path)
        assert_problem(answer, 401, "not_authenticated")
        assert answer["WWW-Authenticate"]
    unknown_key = APIClient(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert_problem(unknown_key.get("/api/v1/payments/1"), 401, "not_authenticated")
    assert_problem(unknown_key.get("/api/v1/me"), 401, "not_authenticated")
    bogus_token = APIClient(HTTP_X_SESSION_TOKEN="bogus")
    assert_problem(bogus_token.get("/api/v1/payments/1"), 401, "not_authenticated")


# --- 4. The Bearer scheme is case-insensitive ----------------------------------------------------


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(scheme: str, till: Any, make_member: Callable[..., Member]) -> None:
    member = make_member()
    client = APIClient(HTTP_AUTHORIZATION=f"{scheme} {till[1]}")
    answer = client.get(f"/api/v1/members/{member.card_number}")
    assert answer.status_code == 200, answer.content


# --- 5. An over-long Idempotency-Key is invalid, not missing --------------------------------------


def test_an_idempotency_key_over_200_characters_is_invalid(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    assert_problem(pay(api, code_for(member), 100, key="k" * 201), 400, "idempotency_key_invalid")
    assert not Payment.objects.exists()
    assert pay(api, code_for(member), 100, key="k" * 200).status_code == 201


def test_an_unprintable_idempotency_key_is_invalid(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    assert_problem(pay(api, code_for(member), 100, key="k\x07y"), 400, "idempotency_key_invalid")


def test_a_blank_idempotency_key_is_missing(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    assert_problem(pay(api, code_for(member), 100, key="   "), 400, "idempotency_key_missing")


# --- 6. Only JSON integers are amounts -----------------------------------------------------------

NOT_INTEGERS = ["1000.0", "1.2e4", '"12000"', '" 12000 "', "true", "12000.5", "null"]


def post_raw(api: APIClient, path: str, body: str) -> Any:
    return api.post(path, body, content_type="application/json", **idem())


@pytest.mark.parametrize("amount", NOT_INTEGERS)
def test_a_payment_amount_that_is_not_a_json_integer_is_refused(
    amount: str, api: APIClient, make_member: Any, code_for: Any
) -> None:
    member = make_member(balance=100_000)
    answer = post_raw(api, "/api/v1/payments", f'{{"payment_code": "{code_for(member)}", "amount": {amount}}}')
    assert_problem(answer, 400, "validation_error")
    assert "amount" in answer.json()["errors"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", NOT_INTEGERS)
def test_a_top_up_amount_that_is_not_a_json_integer_is_refused(amount: str, api: APIClient, make_member: Any) -> None:
    member = make_member()
    body = f'{{"member": "{member.card_number}", "amount": {amount}, "tender": "cash"}}'
    answer = post_raw(api, "/api/v1/topups", body)
    assert_problem(answer, 400, "validation_error")
    assert "amount" in answer.json()["errors"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("amount", NOT_INTEGERS)
def test_a_refund_amount_that_is_not_a_json_integer_is_refused(
    amount: str, api: APIClient, make_member: Any, code_for: Any
) -> None:
    member = make_member(balance=100_000)
    payment_id = pay(api, code_for(member), 20_000).json()["id"]
    answer = post_raw(api, f"/api/v1/payments/{payment_id}/refunds", f'{{"amount": {amount}}}')
    assert_problem(answer, 400, "validation_error")
    assert Account.objects.get(member=member).balance == 80_000  # nothing came back


def test_a_json_integer_amount_is_taken(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=100_000)
    answer = post_raw(api, "/api/v1/payments", f'{{"payment_code": "{code_for(member)}", "amount": 12000}}')
    assert answer.status_code == 201, answer.content
    assert answer.json()["amount"] == 12_000


# --- 7. Confirming a payment that is not yours, or not there, is 404 ------------------------------


def held_payment(member: Member) -> Payment:
    from payments.services.codes import payment_code_issue

    payment = pay_from_wallet(code=payment_code_issue(member=member).code, amount=60_000)
    assert payment.status == Payment.Status.REQUIRES_CONFIRMATION  # above the no-confirmation limit
    return payment


@pytest.mark.parametrize("approve", [True, False])
def test_confirming_an_unknown_payment_is_404(approve: bool, member: Member) -> None:
    client = APIClient()
    client.force_authenticate(member.user)
    answer = client.post("/api/v1/me/payments/987654/confirm", {"approve": approve}, format="json")
    assert_problem(answer, 404, "not_found")


@pytest.mark.parametrize("approve", [True, False])
def test_confirming_someone_elses_payment_is_404_and_leaves_it_waiting(
    approve: bool, member: Member, django_user_model: Any
) -> None:
    other = MemberFactory.create(user=make_user(django_user_model, "other@example.com"), balance=100_000)
    theirs = held_payment(other)
    client = APIClient()
    client.force_authenticate(member.user)
    answer = client.post(f"/api/v1/me/payments/{theirs.pk}/confirm", {"approve": approve}, format="json")
    assert_problem(answer, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == Payment.Status.REQUIRES_CONFIRMATION and theirs.decline_code == ""
