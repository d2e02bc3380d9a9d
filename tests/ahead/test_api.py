"""The order-ahead API: DESIGN's paths, fields, statuses and codes; bad
input is a problem+json answer with nothing charged, never a 500."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Account, Order, ProgrammeSettings, Store
from payments.services.ahead import modifier_sold_out_set, store_ahead_pause, store_zone
from payments.services.terminals import terminal_create
from payments.services.top_ups import wallet_top_up
from tests.ahead.conftest import open_store, option, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_api(member_user: Any, store: Store) -> APIClient:
    wallet_top_up(member=member_user.member, amount=100_000, tender="cash")
    client = APIClient()
    client.force_login(member_user)
    return client


@pytest.fixture
def store_terminal(store: Store) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {terminal_create(store=store, name='Bar')[1]}")
    return client


def place(client: APIClient, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post("/api/v1/me/orders", body, format="json", HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex)


def a_latte(*options: str, quantity: int = 1, note: str = "") -> dict[str, Any]:
    return {
        "product": product("latte").pk,
        "quantity": quantity,
        "modifiers": [option(name).pk for name in options],
        "note": note,
    }


def balance(member: Member) -> int:
    return Account.objects.get(member=member).balance


def test_stores_are_public_with_hours_and_order_ahead_state(store: Store) -> None:
    Store.objects.create(name="No ahead", slug="plain")
    response = APIClient().get("/api/v1/stores")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    by_slug = {s["slug"]: s for s in response.json()}
    ahead = by_slug["ahead"]
    assert ahead["order_ahead"]["state"] == "open" and ahead["order_ahead"]["ready_estimate"]
    assert {"weekday": 0, "opens": "08:00", "closes": "20:00"} in ahead["hours"]
    assert by_slug["plain"]["order_ahead"]["state"] == "off"


def test_the_menu_is_public_with_prices_options_and_sold_out_flags(store: Store) -> None:
    modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=True)
    product("croissant").unavailable_at.add(store)
    response = APIClient().get("/api/v1/stores/ahead/menu")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    products = {p["sku"]: p for c in response.json()["categories"] for p in c["products"]}
    assert products["croissant"]["sold_out"] is True and products["latte"]["sold_out"] is False
    options = {o["name"]: o for o in products["latte"]["modifiers"]}
    assert options["Oat milk"] == {**options["Oat milk"], "sold_out": True, "price": 1_500}
    assert options["Medium"]["is_default"] is True
    assert APIClient().get("/api/v1/stores/nowhere/menu").status_code == 404


def test_a_member_orders_a_customised_drink_and_follows_it_to_collection(
    member_api: APIClient, member: Member, store: Store, store_terminal: APIClient
) -> None:
    response = place(member_api, {"store": "ahead", "lines": [a_latte("Large", "Oat milk", note="no lid")]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "status", "total", "points_earned", "ready_estimate"} <= set(body)
    assert (body["status"], body["order_status"], body["total"]) == ("received", "paid", 16_500)
    assert body["wallet_balance"] == balance(member) == 100_000 - 16_500
    assert body["lines"][0]["note"] == "no lid" and body["payment"]["status"] == "succeeded"
    order_id = body["id"]
    queue = store_terminal.get("/api/v1/orders?channel=ahead").json()
    assert [o["id"] for o in queue] == [order_id] and queue[0]["member"]["name"] == member.display_name
    for step in ("preparing", "ready", "collected"):
        moved = store_terminal.post(f"/api/v1/orders/{order_id}/status", {"status": step}, format="json")
        assert moved.status_code == 200 and moved.json()["status"] == step
    back = store_terminal.post(f"/api/v1/orders/{order_id}/status", {"status": "preparing"}, format="json")
    assert back.status_code == 409 and back.json()["code"] == "order_status_invalid"
    assert member_api.get(f"/api/v1/me/orders/{order_id}").json()["status"] == "collected"
    assert [o["id"] for o in member_api.get("/api/v1/me/orders").json()] == [order_id]
    collected = store_terminal.get("/api/v1/orders?channel=ahead&status=collected").json()
    assert [o["id"] for o in collected] == [order_id]


def test_cancel_refunds_at_once_and_a_started_order_is_not_cancellable(
    member_api: APIClient, member: Member, store_terminal: APIClient
) -> None:
    first = place(member_api, {"store": "ahead", "lines": [a_latte()]}).json()
    cancelled = member_api.post(f"/api/v1/me/orders/{first['id']}/cancel")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert (body["status"], body["refund"]["amount"], body["wallet_balance"]) == ("cancelled", 13_500, 100_000)
    assert member_api.post(f"/api/v1/me/orders/{first['id']}/cancel").json()["refund"] == body["refund"]
    second = place(member_api, {"store": "ahead", "lines": [a_latte()]}).json()
    store_terminal.post(f"/api/v1/orders/{second['id']}/status", {"status": "preparing"}, format="json")
    refused = member_api.post(f"/api/v1/me/orders/{second['id']}/cancel")
    assert refused.status_code == 409 and refused.json()["code"] == "order_not_cancellable"
    assert balance(member) == 100_000 - 13_500


def test_above_the_limit_the_answer_is_202_and_the_order_waits(
    member_api: APIClient, store_terminal: APIClient
) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 10_000})
    ProgrammeSettings.forget_cached()
    response = place(member_api, {"store": "ahead", "lines": [a_latte()]})
    assert response.status_code == 202
    body = response.json()
    assert (body["order_status"], body["payment"]["status"]) == ("open", "requires_confirmation")
    assert store_terminal.get("/api/v1/orders").json() == []
    confirm = member_api.post(f"/api/v1/me/payments/{body['payment']['id']}/confirm", {}, format="json")
    assert confirm.status_code == 200
    assert [o["id"] for o in store_terminal.get("/api/v1/orders").json()] == [body["id"]]


def test_a_retry_with_the_same_key_replays_and_charges_once(member_api: APIClient, member: Member) -> None:
    body = {"store": "ahead", "lines": [a_latte()]}
    first = place(member_api, body, key="order-1")
    again = place(member_api, body, key="order-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.filter(channel="ahead").count() == 1 and balance(member) == 100_000 - 13_500
    other = place(member_api, {**body, "pickup": "asap ", "coupon": "X"}, key="order-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    missing = member_api.post("/api/v1/me/orders", body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_missing"


def bad_inputs(store: Store) -> list[tuple[str, dict[str, Any], int, str]]:
    local_now = timezone.now().astimezone(store_zone(store))
    latte_pk = product("latte").pk
    return [
        ("unknown store", {"store": "nowhere", "lines": [a_latte()]}, 400, "validation_error"),
        ("no lines", {"store": "ahead", "lines": []}, 400, "validation_error"),
        ("unknown product", {"store": "ahead", "lines": [{"product": 999_999}]}, 400, "validation_error"),
        ("quantity 0", {"store": "ahead", "lines": [{"product": latte_pk, "quantity": 0}]}, 400, "validation_error"),
        (
            "huge quantity",
            {"store": "ahead", "lines": [{"product": latte_pk, "quantity": 10**9}]},
            400,
            "validation_error",
        ),
        (
            "unknown option",
            {"store": "ahead", "lines": [{"product": latte_pk, "modifiers": [999_999]}]},
            422,
            "modifier_invalid",
        ),
        (
            "option of another product",
            {"store": "ahead", "lines": [{"product": product("croissant").pk, "modifiers": [option("Oat milk").pk]}]},
            422,
            "modifier_invalid",
        ),
        ("two sizes", {"store": "ahead", "lines": [a_latte("Small", "Large")]}, 422, "modifier_invalid"),
        ("sold-out option", {"store": "ahead", "lines": [a_latte("Soy milk")]}, 409, "item_sold_out"),
        ("bad pickup", {"store": "ahead", "lines": [a_latte()], "pickup": "soonish"}, 400, "validation_error"),
        (
            "pickup in the past",
            {"store": "ahead", "lines": [a_latte()], "pickup": (timezone.now() - timedelta(hours=1)).isoformat()},
            422,
            "pickup_invalid",
        ),
        ("pickup after closing", {"store": "ahead", "lines": [a_latte()], "pickup": "21:30"}, 409, "store_closed"),
        ("closed store", {"store": "closed", "lines": [a_latte()]}, 409, "store_closed"),
        ("paused store", {"store": "paused", "lines": [a_latte()]}, 409, "order_ahead_paused"),
        ("unknown coupon", {"store": "ahead", "lines": [a_latte()], "coupon": "NOPE"}, 404, "coupon_invalid"),
        (
            "impossible time",
            {"store": "ahead", "lines": [a_latte()], "pickup": f"{local_now:%H}:99"},
            400,
            "validation_error",
        ),
    ]


def test_bad_input_is_refused_with_its_code_and_nothing_is_charged(
    member_api: APIClient, member: Member, store: Store
) -> None:
    modifier_sold_out_set(option=option("Soy milk"), store=store, sold_out=True)
    closed = open_store(slug="closed")
    closed.hours.all().delete()
    store_ahead_pause(store=open_store(slug="paused"), until=timezone.now() + timedelta(hours=1), reason="Busy")
    for name, body, status, code in bad_inputs(store):
        response = place(member_api, body)
        assert (response.status_code, response.json()["code"]) == (status, code), name
        assert response["Content-Type"].startswith("application/problem+json"), name
    assert balance(member) == 100_000 and not Order.objects.filter(channel="ahead").exists()


def test_orders_are_the_stores_own_and_each_credential_has_its_side(
    member_api: APIClient, store_terminal: APIClient
) -> None:
    order_id = place(member_api, {"store": "ahead", "lines": [a_latte()]}).json()["id"]
    other_store = open_store(slug="elsewhere")
    elsewhere = APIClient()
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Bearer {terminal_create(store=other_store, name='Bar')[1]}")
    assert elsewhere.get("/api/v1/orders").json() == []
    refused = elsewhere.post(f"/api/v1/orders/{order_id}/status", {"status": "ready"}, format="json")
    assert refused.status_code == 404
    assert store_terminal.get("/api/v1/me/orders").status_code == 403
    assert member_api.get("/api/v1/orders").status_code == 403
    assert member_api.get(f"/api/v1/me/orders/{order_id + 1000}").status_code == 404


def test_a_bad_field_inside_a_line_is_named_by_its_path_with_a_list_of_messages(
    member_api: APIClient, store: Store
) -> None:
    """The contract's `errors` maps each field to a list of messages; a nested
    field is named by its path, never given as an object."""
    response = member_api.post(
        "/api/v1/me/orders",
        {
            "store": store.slug,
            "lines": [{"product": product("latte").pk, "quantity": 1, "note": "a\x00b"}],
            "pickup": "asap",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="nested-errors",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert "lines.0.note" in errors and all(isinstance(v, list) for v in errors.values()), errors
