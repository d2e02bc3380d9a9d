"""schemathesis: generated requests against every operation of /api/schema/
never produce a server error, and every error body is problem+json."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cafe_loyalty.wsgi import application
from payments.services.codes import payment_code_issue
from tests.conftest import MemberFactory


@pytest.fixture
def api_schema(db: Any) -> Any:
    return schemathesis.from_wsgi("/api/schema/", application)


schema = schemathesis.from_pytest_fixture("api_schema")


@pytest.fixture
def terminal_headers(till: tuple[Any, str], db: Any) -> dict[str, str]:
    member = MemberFactory.create(display_name="Fuzz", balance=100_000)
    payment_code_issue(member=member)
    return {"Authorization": f"Bearer {till[1]}", "Idempotency-Key": "fuzz"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_never_answers_with_a_server_error(case: Any, terminal_headers: dict[str, str]) -> None:
    # A fresh key per case, so generated bodies reach the handlers rather than
    # all being answered "key reused".
    case.headers = {**(case.headers or {}), **terminal_headers, "Idempotency-Key": uuid.uuid4().hex}
    response = case.call_wsgi()
    assert response.status_code < 500, response.data
    if response.status_code >= 400 and response.status_code != 405:
        assert response.headers["Content-Type"].startswith("application/problem+json"), response.data
        assert "code" in response.json
