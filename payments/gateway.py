"""Card gateway for portal top-ups, behind one small interface.

A real acquirer (for example one with 3-D Secure redirects) replaces
`TestGateway` by implementing `charge` and `void`; nothing else in the wallet
changes. The test gateway approves every charge at once and is clearly
labelled in the portal, so nobody mistakes it for a real payment."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext


@dataclass(frozen=True)
class GatewayCharge:
    approved: bool
    reference: str
    message: str = ""


class TopUpGateway(Protocol):
    is_test: bool

    @property
    def name(self) -> str:
        """What the member is told the gateway is, in their language."""
        ...

    def charge(self, *, amount: int, member_reference: str, idempotency_key: str) -> GatewayCharge: ...

    def void(self, *, reference: str) -> None:
        """Cancel an approved charge before it settles, so the member pays
        nothing: used when the wallet refuses the money after the charge."""
        ...


@dataclass
class TestGateway:
    """Approves every charge; remembers the references it charged and voided
    (per instance) so tests can see what happened."""

    __test__ = False  # not a pytest test class, whatever its name
    is_test = True
    charged: list[str] = field(default_factory=list)
    voided: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return gettext("Test gateway")

    def charge(self, *, amount: int, member_reference: str, idempotency_key: str) -> GatewayCharge:
        reference = f"test_{secrets.token_hex(8)}"
        self.charged.append(reference)
        return GatewayCharge(approved=True, reference=reference)

    def void(self, *, reference: str) -> None:
        self.voided.append(reference)


def active_gateway() -> TopUpGateway | None:
    """The configured gateway, or None: then members top up at the counter."""
    from django.conf import settings

    return TestGateway() if settings.CAFE_TEST_GATEWAY else None
