from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from members.models import Member
from members.services import member_create


@pytest.fixture
def new_member(db: Any) -> Callable[..., Member]:
    def make(name: str = "Pat") -> Member:
        return member_create(user=None, display_name=name, email=f"{uuid.uuid4().hex[:8]}@example.com")

    return make
