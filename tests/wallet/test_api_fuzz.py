"""schemathesis against /api/schema/: generated requests to every operation,
with a terminal's key and with a member's session token, pass every check
schemathesis 3.x has (`--checks all`): no server error, only documented
statuses, content types and headers, bodies that match their schema, invalid
input refused, and no operation that answers without its credential."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import ALL_CHECKS
from schemathesis.specs.openapi.checks import negative_data_rejection

from cafe_loyalty.wsgi import application
from members.models import Member
from payments.services.codes import payment_code_issue
from tests.conftest import PASSWORD, MemberFactory

CHECKS = tuple(ALL_CHECKS)


@pytest.fixture
def api_schema(db: Any) -> Any:
    return schemathesis.from_wsgi(
        "/api/schema/", application, data_generation_methods=[schemathesis.DataGenerationMethod.positive]
    )


schema = schemathesis.from_pytest_fixture("api_schema")


@pytest.fixture
def funded_member(db: Any) -> Member:
    """A member with money and a live payment code, for requests to find."""
    member = MemberFactory.create(display_name="Fuzz", balance=100_000)
    payment_code_issue(member=member)
    return member


@pytest.fixture
def terminal_credential(till: tuple[Any, str], funded_member: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {till[1]}"}


@pytest.fixture
def member_credential(member_user: Any, funded_member: Any) -> dict[str, str]:
    """A member's allauth app session token, as the member app holds it."""
    login = APIClient().post(
        "/_allauth/app/v1/auth/login", {"email": member_user.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content
    return {"X-Session-Token": login.json()["meta"]["session_token"]}


def test_every_check_of_schemathesis_is_known() -> None:
    # `--checks all` of schemathesis 3.x; a new one in an upgrade shows up here.
    assert {check.__name__ for check in CHECKS} >= {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
    }
    assert negative_data_rejection in CHECKS


def call_and_check(case: Any, credential: dict[str, str], funded: Member) -> None:
    # Each case starts as a first request: the guessing stop (its own tests
    # are in tests/controls) would otherwise answer most cases 429 after the
    # first ten random card numbers, and generated bodies would not reach the
    # handlers.
    cache.clear()
    headers = dict(credential)
    if "Idempotency-Key" in (case.headers or {}):
        # A fresh key per case, so bodies are not answered "key reused".
        headers["Idempotency-Key"] = uuid.uuid4().hex
    if isinstance(case.body, dict):
        # Half the cases name the funded member or carry their live code, so
        # top-ups, payments and their refusals are reached, not only 404s.
        if isinstance(case.body.get("member"), str) and len(case.body["member"]) % 2:
            case.body["member"] = funded.card_number
        if isinstance(case.body.get("payment_code"), str) and len(case.body["payment_code"]) % 2:
            case.body["payment_code"] = payment_code_issue(member=funded).code
    case.call_and_validate(headers=headers, checks=CHECKS)


# Each operation with each credential (schemathesis takes no parametrized
# fixture): the other kind's operations must refuse it as the schema says.
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema_with_a_terminal_key(
    case: Any, terminal_credential: dict[str, str], funded_member: Member
) -> None:
    call_and_check(case, terminal_credential, funded_member)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema_with_a_member_session_token(
    case: Any, member_credential: dict[str, str], funded_member: Member
) -> None:
    call_and_check(case, member_credential, funded_member)
