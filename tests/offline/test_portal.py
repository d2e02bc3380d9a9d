"""The Pay page's offline endpoints (enable after reauthentication, status,
disable) and the till's public key list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse

from payments.models import OfflineCertificate
from payments.selectors.wallet import wallet_balance
from payments.services.offline.keys import b64url_decode
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD
from tests.offline.conftest import spki_of


def reauthenticate(client: Any) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def test_enable_needs_reauthentication_then_returns_a_certificate(
    member_client: Any, member: Any, programme_key: str, django_assert_max_num_queries: Any
) -> None:
    wallet_top_up(member=member, amount=50_000, tender="cash")
    body = {"public_key": spki_of(ec.generate_private_key(ec.SECP256R1())), "allowance": 20_000}
    url = reverse("wallet:offline_enable")
    refused = member_client.post(url, body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "reauthentication_required"
    assert refused.json()["reauthenticate_url"].startswith(reverse("account_reauthenticate"))
    reauthenticate(member_client)
    created = member_client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert len(b64url_decode(created.json()["certificate"])) == 162 and created.json()["allowance"] == 20_000
    assert wallet_balance(member=member) == 30_000
    with django_assert_max_num_queries(8):
        status = member_client.get(reverse("wallet:offline_status")).json()
    assert status["enabled"] and status["left"] == 20_000 and status["cap"] == 100_000
    off = member_client.post(reverse("wallet:offline_disable"))
    assert off.json() == {"returned": 20_000} and wallet_balance(member=member) == 50_000
    assert member_client.get(reverse("wallet:offline_status")).json()["enabled"] is False


def test_enable_refuses_a_bad_key_or_amount_with_a_code(member_client: Any, member: Any, programme_key: str) -> None:
    reauthenticate(member_client)
    url = reverse("wallet:offline_enable")
    bad_key = member_client.post(url, {"public_key": "AAAA"}, content_type="application/json")
    assert (bad_key.status_code, bad_key.json()["code"]) == (422, "offline_setup_invalid")
    key = spki_of(ec.generate_private_key(ec.SECP256R1()))
    too_much = member_client.post(url, {"public_key": key, "allowance": 10**7}, content_type="application/json")
    assert (too_much.status_code, too_much.json()["code"]) == (422, "offline_setup_invalid")
    broke = member_client.post(url, {"public_key": key}, content_type="application/json")
    assert (broke.status_code, broke.json()["code"]) == (402, "insufficient_funds")
    assert not OfflineCertificate.objects.exists()


def test_the_till_gets_the_public_keys_and_a_member_does_not(
    pos_till: tuple[Any, Any], make_member: Callable[..., Any], phone_for: Any, member_user: Any
) -> None:
    client, _store = pos_till
    phone = phone_for(make_member(balance=50_000))
    keys = client.get(reverse("pos:offline_keys")).json()["keys"]
    assert [k["kid"] for k in keys] == [phone.issued.certificate.kid]
    assert keys[0]["jwk"]["crv"] == "P-256" and keys[0]["current"] is True
    as_member = Client()
    as_member.force_login(member_user)
    assert as_member.get(reverse("pos:offline_keys")).status_code == 403


def test_without_a_programme_key_offline_is_simply_unavailable(member_client: Any, member: Any, settings: Any) -> None:
    settings.CAFE_OFFLINE_KEY = settings.CAFE_OFFLINE_KEY_FILE = ""
    reauthenticate(member_client)
    key = spki_of(ec.generate_private_key(ec.SECP256R1()))
    response = member_client.post(
        reverse("wallet:offline_enable"), {"public_key": key}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (503, "offline_unavailable")
