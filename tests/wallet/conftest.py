"""Fixtures for wallet tests: a store with a terminal and an API client for it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from members.models import Member
from payments.models import ProgrammeSettings, Store
from payments.services.codes import payment_code_issue
from payments.services.terminals import terminal_create


@pytest.fixture
def shop(db: Any) -> Store:
    return Store.objects.create(name="Test Roastery", slug="test-roastery")


@pytest.fixture
def till(shop: Store) -> tuple[Any, str]:
    return terminal_create(store=shop, name="Till 1")


@pytest.fixture
def api(till: tuple[Any, str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {till[1]}")
    return client


@pytest.fixture
def programme(db: Any) -> ProgrammeSettings:
    return ProgrammeSettings.current()


@pytest.fixture
def code_for() -> Callable[[Member], str]:
    return lambda member: payment_code_issue(member=member).code


def idem() -> dict[str, Any]:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
