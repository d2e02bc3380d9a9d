"""Issue #13's smaller defects: unknown /api/ paths under DEBUG, a payment
code for a frozen wallet, the history's pages, the tier of a new member, and
one time-zone style for every timestamp."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Member, Tier
from payments.models import PaymentCode
from payments.services.risk import wallet_freeze
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory, make_user
from tests.wallet.test_api_contract import assert_problem, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def me_api(member: Member) -> APIClient:
    client = APIClient()
    client.force_authenticate(member.user)
    return client


# --- Unknown paths under /api/ answer problem+json, under DEBUG too --------------------------------


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/nothing-here"), ("post", "/api/v1/payments/abc/refunds"), ("get", "/api/v2/me")],
)
def test_an_unknown_api_path_is_a_problem_json_404(debug: bool, method: str, path: str, api: APIClient) -> None:
    with override_settings(DEBUG=debug):
        answer = getattr(Client(), method)(path)
    assert_problem(answer, 404, "not_found")


def test_an_unknown_page_outside_the_api_is_still_html(client: Client) -> None:
    with override_settings(DEBUG=False):
        answer = client.get("/no-such-page/")
    assert answer.status_code == 404 and answer["Content-Type"].startswith("text/html")


# --- A frozen wallet gets no payment code ---------------------------------------------------------


def test_a_frozen_member_gets_no_payment_code_from_the_api(me_api: APIClient, member: Member) -> None:
    wallet_freeze(member=member, reason="lost phone", by_staff=False)
    assert_problem(me_api.post("/api/v1/me/payment-code", format="json"), 423, "account_frozen")
    assert not PaymentCode.objects.filter(member=member, retired_at__isnull=True).exists()


def test_a_frozen_member_sees_why_there_is_no_code_on_the_pay_page(member_client: Client, member: Member) -> None:
    wallet_freeze(
        member=member, reason="lost phone", by_staff=False, keep_session_key=member_client.session.session_key
    )
    html = member_client.post("/pay/code/", HTTP_HX_REQUEST="true").content.decode()
    assert "Your wallet is frozen." in html and "data-code" not in html
    assert not PaymentCode.objects.filter(member=member).exists()


# --- The history's pages --------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "10001"])
def test_a_bad_history_page_is_a_validation_error(page: str, me_api: APIClient) -> None:
    answer = me_api.get("/api/v1/me/transactions", {"page": page})
    assert_problem(answer, 400, "validation_error")
    assert "page" in answer.json()["errors"]


def test_the_history_counts_every_line_and_pages_through_them(me_api: APIClient, member: Member) -> None:
    for _ in range(26):
        wallet_top_up(member=member, amount=10_000, tender="cash")
    first = me_api.get("/api/v1/me/transactions").json()
    assert first["count"] == 26  # one wallet line per cash top-up, no bonus rule running
    assert len(first["results"]) == 25 and first["previous"] is None
    assert first["next"].endswith("?page=2")
    second = me_api.get("/api/v1/me/transactions", {"page": 2}).json()
    assert second["count"] == 26 and len(second["results"]) == 1 and second["next"] is None
    assert {line["id"] for line in first["results"]}.isdisjoint(line["id"] for line in second["results"])
    past_the_end = me_api.get("/api/v1/me/transactions", {"page": 9}).json()
    assert past_the_end["count"] == 26 and past_the_end["results"] == [] and past_the_end["next"] is None


# --- New members start in the entry tier ----------------------------------------------------------


def entry_tier() -> Tier:
    tier = Tier.objects.order_by("rank").first()
    assert tier is not None  # seeded by members' migrations
    return tier


def test_a_member_enrolled_at_the_till_is_in_the_entry_tier(api: APIClient) -> None:
    created = api.post("/api/v1/members", {"email": "new@example.com", "name": "New"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["tier"] == entry_tier().name
    assert Member.objects.get(email="new@example.com").tier == entry_tier()


def test_a_member_who_signed_up_sees_the_entry_tier(me_api: APIClient) -> None:
    body = me_api.get("/api/v1/me").json()
    assert body["tier"] == entry_tier().name
    assert body["tier_progress"]["tier"] == entry_tier().name


def test_members_without_a_tier_get_the_entry_tier_from_the_migration() -> None:
    earlier = MemberFactory.create()
    Member.objects.filter(pk=earlier.pk).update(tier=None, tier_since=None)
    migration = importlib.import_module("members.migrations.0006_members_start_in_entry_tier")
    migration.entry_tier_for_tierless(django_apps, None)
    earlier.refresh_from_db()
    assert earlier.tier == entry_tier() and earlier.tier_since == earlier.created_at


# --- Every timestamp in UTC with Z ----------------------------------------------------------------

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def timestamps(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from timestamps(item)
    elif isinstance(value, str) and TIMESTAMP.match(value):
        yield value


@override_settings(TIME_ZONE="Asia/Taipei")
def test_every_timestamp_the_api_shows_is_utc_with_z(
    api: APIClient, me_api: APIClient, member: Member, django_user_model: Any
) -> None:
    timezone.activate("Asia/Taipei")  # what DRF rendered in before: +08:00
    wallet_top_up(member=member, amount=200_000, tender="cash")
    code = me_api.post("/api/v1/me/payment-code", format="json").json()
    paid = pay(api, code["code"], 1_000).json()
    held = pay(api, me_api.post("/api/v1/me/payment-code", format="json").json()["code"], 60_000).json()
    confirmed = me_api.post(f"/api/v1/me/payments/{held['id']}/confirm", {}, format="json").json()
    read = api.get(f"/api/v1/payments/{paid['id']}").json()
    history = me_api.get("/api/v1/me/transactions").json()
    bodies = [code, paid, held, confirmed, read, history]
    seen = [stamp for body in bodies for stamp in timestamps(body)]
    assert len(seen) >= 8, bodies  # expires_at, created_at, confirm_by, the history's created_at
    assert all(stamp.endswith("Z") for stamp in seen), seen
    assert held["confirm_by"].endswith("Z") and code["expires_at"].endswith("Z")
    other = MemberFactory.create(user=make_user(django_user_model, "tz@example.com"))
    assert api.get(f"/api/v1/members/{other.card_number}").status_code == 200  # no timestamps there


def test_an_id_past_a_64_bit_key_is_not_found_not_an_error(api: Any) -> None:
    """Found by the fuzz test: the database refused such an id with a 500."""
    assert api.get("/api/v1/payments/9223372036854775808").status_code == 404
    refund = api.post("/api/v1/payments/99999999999999999999999/refunds", {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert refund.status_code == 404
    assert api.get("/api/v1/payments/9223372036854775807").status_code == 404  # the largest id: looked up, not there
