"""Fixtures for offline paying: a phone's device key, a member with offline
paying on, and their codes (the programme key, `programme_key`, is in
tests/conftest.py: the phone's browser test needs it too)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Store
from payments.services.offline.formats import code_build
from payments.services.offline.holds import IssuedCertificate, offline_enable
from payments.services.offline.keys import b64url_decode
from payments.services.terminals import terminal_create


def spki_of(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@dataclass
class Phone:
    """A member's phone with paying offline on: its key and certificate."""

    member: Member
    key: ec.EllipticCurvePrivateKey
    issued: IssuedCertificate
    counter: int = 0

    def code(self, *, amount_cap: int = 30_000, made_at: datetime | None = None, counter: int | None = None) -> str:
        if counter is None:
            self.counter += 1
            counter = self.counter
        return code_build(
            certificate=b64url_decode(self.issued.text),
            device_key=self.key,
            counter=counter,
            made_at=made_at or timezone.now(),
            amount_cap=amount_cap,
        )


@pytest.fixture
def phone_for(programme_key: str) -> Callable[..., Phone]:
    def make(member: Member, allowance: int | None = None) -> Phone:
        key = ec.generate_private_key(ec.SECP256R1())
        issued = offline_enable(
            member=member, device_public_key=spki_of(key), allowance=allowance, reauthenticated=True
        )
        return Phone(member=member, key=key, issued=issued)

    return make


@pytest.fixture
def shop(db: Any) -> Store:
    from payments.management.commands.load_menu_demo import load_menu_demo

    load_menu_demo()
    return Store.objects.create(name="Offline Roastery", slug="offline-roastery")


def terminal_client(store: Store, name: str = "Till 1") -> APIClient:
    _terminal, key = terminal_create(store=store, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(shop: Store) -> APIClient:
    return terminal_client(shop)


def sale(
    *,
    lines: list[dict[str, Any]] | None = None,
    tenders: list[dict[str, Any]] | None = None,
    at: datetime | None = None,
    key: str | None = None,
    shift: int | None = None,
) -> dict[str, Any]:
    """One sale as the till queues it: a latte (NT$120 in the demo menu) in cash by default."""
    lines = lines if lines is not None else [{"sku": "latte", "quantity": 1, "unit_price": 12_000}]
    total = sum(line["quantity"] * line["unit_price"] for line in lines)
    body: dict[str, Any] = {
        "idempotency_key": key or uuid.uuid4().hex,
        "rung_up_at": (at or timezone.now()).isoformat(),
        "lines": lines,
        "tenders": tenders if tenders is not None else [{"kind": "cash", "amount": total}],
    }
    if shift is not None:
        body["shift"] = shift
    return body
