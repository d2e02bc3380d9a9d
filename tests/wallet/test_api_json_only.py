"""The API takes JSON bodies only (issue 13, defect 2): a form or multipart
body is refused with 415 before anything is read, so a garbled body can never
pass for an empty one — a refund without an amount refunds what is left."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Payment, Refund

pytestmark = pytest.mark.django_db

GARBLED_MULTIPART = b'--xx\r\nContent-Disposition: form-data; name="amou'


def paid(api: APIClient, code: str, amount: int) -> int:
    response = api.post(
        "/api/v1/payments",
        {"payment_code": code, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def refund(api: APIClient, payment_id: int, body: str | None, content_type: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    if content_type is not None:
        extra["content_type"] = content_type
    return api.generic("POST", f"/api/v1/payments/{payment_id}/refunds", body or "", **extra)


def assert_unsupported(response: Any) -> None:
    assert response.status_code == 415, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (GARBLED_MULTIPART, "multipart/form-data; boundary=xx"),
        ("--xx--\r\n", "multipart/form-data; boundary=xx"),
        ("amount=100", "application/x-www-form-urlencoded"),
        ('{"amount": 100}', "text/plain"),
        ('{"amount": 100}', None),
    ],
)
def test_a_refund_with_a_body_that_is_not_json_is_refused_and_refunds_nothing(
    api: APIClient,
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
    body: str,
    content_type: str | None,
) -> None:
    payment_id = paid(api, code_for(make_member(balance=50_000)), 12_000)
    if content_type is None:
        # No Content-Type at all: a body of unknown kind.
        response = api.generic("POST", f"/api/v1/payments/{payment_id}/refunds", body, content_type="")
    else:
        response = refund(api, payment_id, body, content_type)
    assert_unsupported(response)
    assert Payment.objects.get(pk=payment_id).refunded_amount == 0
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(None, None), ("{}", "application/json"), ("{}", "application/json; charset=utf-8")],
    ids=["no body", "empty object", "empty object with charset"],
)
def test_a_refund_with_no_body_or_an_empty_json_object_refunds_what_is_left(
    api: APIClient,
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
    body: str | None,
    content_type: str | None,
) -> None:
    payment_id = paid(api, code_for(make_member(balance=50_000)), 12_000)
    part = refund(api, payment_id, '{"amount": 2000}', "application/json")
    assert part.status_code == 201, part.content
    rest = refund(api, payment_id, body, content_type)
    assert rest.status_code == 201, rest.content
    assert rest.json()["amount"] == 10_000
    assert Payment.objects.get(pk=payment_id).refunded_amount == 12_000


def test_a_member_endpoint_refuses_a_form_body_even_where_it_reads_none(
    make_member: Callable[..., Member], member_user: Any
) -> None:
    client = APIClient()
    client.force_authenticate(member_user)
    form = client.post("/api/v1/me/payment-code", {"anything": "1"}, format="multipart")
    assert_unsupported(form)
    assert not member_user.member.payment_codes.exists()
    # The same call with no body, or JSON, issues a code.
    assert client.post("/api/v1/me/payment-code").status_code == 201
    assert client.post("/api/v1/me/payment-code", {}, format="json").status_code == 201


def test_a_declined_confirmation_sent_as_a_form_is_refused_not_read_as_an_approval(
    api: APIClient, make_member: Callable[..., Member], code_for: Callable[[Member], str], member_user: Any
) -> None:
    """`approve` defaults to true: a form body read as empty would approve a
    payment the member meant to decline."""
    member = member_user.member
    from payments.services.top_ups import wallet_top_up

    wallet_top_up(member=member, amount=500_000, tender="cash")
    response = api.post(
        "/api/v1/payments",
        {"payment_code": code_for(member), "amount": 300_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 202, response.content
    client = APIClient()
    client.force_authenticate(member_user)
    confirm = client.post(f"/api/v1/me/payments/{response.json()['id']}/confirm", {"approve": "false"})
    assert_unsupported(confirm)
    assert Payment.objects.get(pk=response.json()["id"]).status == Payment.Status.REQUIRES_CONFIRMATION
