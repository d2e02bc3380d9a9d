"""Card gateway for portal top-ups, behind one small interface.

A real acquirer (for example one with 3-D Secure redirects) replaces
`TestGateway` by implementing `charge`; nothing else in the wallet changes.
The test gateway approves every charge at once and is clearly labelled in the
portal, so nobody mistakes it for a real payment."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class GatewayCharge:
    approved: bool
    reference: str
    message: str = ""


class TopUpGateway(Protocol):
    name: str
    is_test: bool

    def charge(self, *, amount: int, member_reference: str, idempotency_key: str) -> GatewayCharge: ...


class TestGateway:
    name = "Test gateway"
    is_test = True

    def charge(self, *, amount: int, member_reference: str, idempotency_key: str) -> GatewayCharge:
        return GatewayCharge(approved=True, reference=f"test_{secrets.token_hex(8)}")


def active_gateway() -> TopUpGateway | None:
    """The configured gateway, or None: then members top up at the counter."""
    from django.conf import settings

    return TestGateway() if settings.CAFE_TEST_GATEWAY else None
