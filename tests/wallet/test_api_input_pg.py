"""Input PostgreSQL refuses but SQLite takes (NUL bytes, integers past its
integer types) gets a problem+json answer from the API, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/payments", {"payment_code": "12\x0034", "amount": 100}),
        ("/api/v1/payments", {"payment_code": "123456789012345678", "amount": 100, "reference": "a\x00b"}),
        ("/api/v1/payments", {"payment_code": "123456789012345678", "amount": int(HUGE)}),
        (f"/api/v1/payments/{HUGE}/refunds", {"amount": 100}),
        ("/api/v1/payments/2147483648/refunds", {"amount": 100, "reason": "a\x00b"}),
        (f"/api/v1/payments/{HUGE}", None),
        ("/api/v1/members/%00", None),
        ("/api/v1/members/12%0034", None),
    ],
)
def test_input_postgres_refuses_is_answered_with_a_problem(path: str, body: Any, api: APIClient) -> None:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    response = api.post(path, body, format="json", **headers) if body is not None else api.get(path)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_nul_in_the_idempotency_key_is_refused(api: APIClient) -> None:
    body = {"payment_code": "123456789012345678", "amount": 100}
    response = api.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k\x00y")
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"] == "idempotency_key_invalid"
