"""The client's address, read one way everywhere (request log, allauth's rate
limits, API throttles), trusting exactly `CAFE_TRUSTED_PROXIES` proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Protocol

from django.conf import settings


class _Request(Protocol):
    """A Django HttpRequest or a DRF Request."""

    @property
    def META(self) -> Mapping[str, Any]: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


def client_ip(request: _Request) -> str:
    """The address the outermost of our proxies saw: the entry it appended to
    X-Forwarded-For, counting `CAFE_TRUSTED_PROXIES` from the end. Entries
    before it are whatever the client wrote and are never believed; a request
    that did not pass through all our proxies, or whose entry is not an
    address, is known only by its peer address (REMOTE_ADDR)."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    trusted = settings.CAFE_TRUSTED_PROXIES
    if trusted <= 0:
        return peer
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    if len(forwarded) < trusted:
        return peer
    try:
        return str(ipaddress.ip_address(forwarded[-trusted]))
    except ValueError:
        return peer
