"""The OpenAPI schema at /api/schema/ says exactly what the API does (issue 13):
JSON request bodies only, one Problem body for every error, the headers, the
credentials of each operation, and enums and bounds read from where they live."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from cafe_loyalty.core.problems import Problem
from members.models import Tier
from payments.models import Payment, ProgrammeSettings

pytestmark = pytest.mark.django_db

TERMINAL_OPERATIONS = {
    ("post", "/api/v1/offline/sales"),
    ("post", "/api/v1/members"),
    ("get", "/api/v1/members/{card_number}"),
    ("post", "/api/v1/topups"),
    ("post", "/api/v1/payments"),
    ("get", "/api/v1/payments/{payment_id}"),
    ("post", "/api/v1/payments/{payment_id}/refunds"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders/{order_id}/status"),
}
MEMBER_OPERATIONS = {
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/payment-code"),
    ("get", "/api/v1/me/transactions"),
    ("post", "/api/v1/me/payments/{payment_id}/confirm"),
    ("get", "/api/v1/me/orders"),
    ("post", "/api/v1/me/orders"),
    ("get", "/api/v1/me/orders/{order_id}"),
    ("post", "/api/v1/me/orders/{order_id}/cancel"),
}
# Anyone may read these (order ahead's stores and menus): no credentials.
PUBLIC_OPERATIONS = {
    ("get", "/api/v1/stores"),
    ("get", "/api/v1/stores/{slug}/menu"),
}
MONEY_POSTS = {
    ("post", "/api/v1/topups"),
    ("post", "/api/v1/payments"),
    ("post", "/api/v1/payments/{payment_id}/refunds"),
    ("post", "/api/v1/me/orders"),
}
# DESIGN.md's error table, and the answers DRF's own refusals get.
DESIGN_CODES = {
    "idempotency_key_missing",
    "idempotency_key_invalid",
    "idempotency_key_reused",
    "idempotency_key_in_use",
    "payment_code_invalid",
    "payment_code_expired",
    "payment_code_used",
    "insufficient_funds",
    "limit_exceeded",
    "account_frozen",
    "refund_exceeds_payment",
    "not_authenticated",
    "permission_denied",
    "top_up_limit_exceeded",
    "validation_error",
    "malformed_request",
    "unsupported_media_type",
    "not_acceptable",
    "throttled",
    "too_many_failures",
    "wallet_payments_paused",
    "member_exists",
    "member_not_found",
    "not_found",
    "store_closed",
    "order_ahead_paused",
    "item_sold_out",
    "order_not_cancellable",
}


def api_schema() -> dict[str, Any]:
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return dict(response.json())


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in schema["paths"].items() for method, op in item.items()}


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(schema["components"]["schemas"][name])


def test_the_schema_lists_every_operation_of_the_api() -> None:
    assert set(operations(api_schema())) == TERMINAL_OPERATIONS | MEMBER_OPERATIONS | PUBLIC_OPERATIONS


def test_request_bodies_are_json_only() -> None:
    bodies = {key: op["requestBody"] for key, op in operations(api_schema()).items() if "requestBody" in op}
    assert bodies, "no operation takes a body"
    for key, body in bodies.items():
        assert set(body["content"]) == {"application/json"}, key


def test_every_error_is_the_one_problem_body_as_problem_json() -> None:
    schema = api_schema()
    for key, op in operations(schema).items():
        errors = {status: response for status, response in op["responses"].items() if int(status) >= 400}
        assert {"401", "403", "406", "429"} <= set(errors), key
        for status, response in errors.items():
            assert response["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (key, status)
        if "requestBody" in op or key[0] == "post":
            assert "415" in errors, key
    problem = component(schema, "Problem")
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["properties"]["code"] == {"$ref": "#/components/schemas/ProblemCode"}
    assert problem["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_the_problem_code_enum_has_every_code_and_follows_new_problem_classes() -> None:
    codes = set(component(api_schema(), "ProblemCode")["enum"])
    assert codes >= DESIGN_CODES

    class LateProblem(Problem):  # defined after the first schema: the enum is read per schema
        code = "late_problem_for_the_test"

    assert "late_problem_for_the_test" in component(api_schema(), "ProblemCode")["enum"]
    del LateProblem


def test_each_operation_declares_the_statuses_of_its_refusals() -> None:
    ops = operations(api_schema())

    def statuses(method: str, path: str) -> set[int]:
        return {int(status) for status in ops[method, path]["responses"]}

    assert statuses("post", "/api/v1/payments") >= {201, 202, 400, 402, 404, 409, 410, 415, 422, 423, 429, 503}
    assert statuses("post", "/api/v1/payments/{payment_id}/refunds") >= {201, 400, 403, 404, 409, 415, 422}
    assert statuses("post", "/api/v1/topups") >= {201, 400, 404, 409, 415, 422}
    assert statuses("post", "/api/v1/members") >= {201, 400, 409, 415}
    assert statuses("post", "/api/v1/me/payments/{payment_id}/confirm") >= {200, 402, 404, 409, 410, 422, 423, 503}
    assert statuses("post", "/api/v1/me/payment-code") >= {201, 415, 423}
    assert statuses("get", "/api/v1/me/transactions") >= {200, 400}


def test_headers_are_declared_where_they_are_read_and_sent() -> None:
    ops = operations(api_schema())
    for key, op in ops.items():
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        assert op["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True, key
        assert op["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}, key
        if key in MONEY_POSTS:
            idempotency_key = headers["Idempotency-Key"]
            assert idempotency_key["required"] is True
            assert idempotency_key["schema"] == {"type": "string", "minLength": 1, "maxLength": 200}
            replayed = op["responses"]["201"]["headers"]["Idempotent-Replayed"]
            assert replayed["schema"] == {"type": "string", "enum": ["true"]}
            assert "Idempotent-Replayed" in op["responses"]["422"]["headers"]
        else:
            assert "Idempotency-Key" not in headers, key
    paused = ops["post", "/api/v1/payments"]["responses"]["503"]["headers"]["Retry-After"]
    assert paused["required"] is True


def test_each_operation_names_its_credential() -> None:
    schema = api_schema()
    for key, op in operations(schema).items():
        if key in TERMINAL_OPERATIONS:
            assert op["security"] == [{"terminalKey": []}], key
        elif key in PUBLIC_OPERATIONS:
            assert op.get("security", []) == [], key
        else:
            assert op["security"] == [{"portalSession": []}, {"memberSessionToken": []}], key
    schemes = schema["components"]["securitySchemes"]
    assert schemes["terminalKey"] == {**schemes["terminalKey"], "type": "http", "scheme": "bearer"}
    assert schemes["memberSessionToken"] == {**schemes["memberSessionToken"], "type": "apiKey", "in": "header"}
    assert schemes["memberSessionToken"]["name"] == "X-Session-Token"


def test_response_bodies_are_complete_and_typed() -> None:
    schema = api_schema()
    created = component(schema, "PaymentCreatedOutput")
    assert {"wallet_balance", "status", "amount", "member", "points_earned"} <= set(created["required"])
    pending = component(schema, "PaymentPendingOutput")
    assert set(pending["required"]) == {"id", "status", "amount", "member", "confirm_by"}
    assert "nullable" not in pending["properties"]["confirm_by"]
    assert component(schema, "PaymentPendingStatus")["enum"] == ["requires_confirmation"]
    assert component(schema, "PaymentStatus")["enum"] == list(Payment.Status.values)
    payment = component(schema, "PaymentOutput")["properties"]
    assert payment["status"] == {"$ref": "#/components/schemas/PaymentStatus"}
    assert payment["decline_code"]["allOf"] == [{"$ref": "#/components/schemas/DeclineCode"}]
    assert {"declined_by_member", "confirmation_expired", "insufficient_funds"} <= set(
        component(schema, "DeclineCode")["enum"]
    )
    me = component(schema, "MeOutput")["properties"]
    assert me["tier_progress"] == {"$ref": "#/components/schemas/TierProgressOutput"}
    progress = component(schema, "TierProgressOutput")
    assert progress["properties"]["tier"] == {"$ref": "#/components/schemas/TierName"}
    assert progress["properties"]["percent"] == {"type": "integer", "minimum": 0, "maximum": 100}
    for name, body in schema["components"]["schemas"].items():
        for field, prop in body.get("properties", {}).items():
            # A free-form object would be `object` without properties.
            assert not (prop.get("type") == "object" and "properties" not in prop and field != "errors"), (name, field)


def test_tiers_and_the_top_up_range_come_from_the_programme() -> None:
    Tier.objects.create(name="Platinum", slug="platinum", rank=9, min_points_12m=99_999)
    programme = ProgrammeSettings.current()
    programme.min_top_up, programme.max_top_up = 30_000, 700_000
    programme.save()
    from cafe_loyalty.core.rulecache import forget_all

    forget_all()  # the admin's save does this in its own process
    schema = api_schema()
    assert component(schema, "TierName")["enum"] == list(Tier.objects.order_by("rank").values_list("name", flat=True))
    assert "Platinum" in component(schema, "TierName")["enum"]
    amount = component(schema, "TopUpInputRequest")["properties"]["amount"]
    assert (amount["minimum"], amount["maximum"]) == (30_000, 700_000)
