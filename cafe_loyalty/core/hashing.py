"""Keyed hashes for secrets we must recognise but never store (terminal keys,
payment codes, coupon codes)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_hash(value: str, *, purpose: str) -> str:
    key = f"{settings.CAFE_HASH_KEY}:{purpose}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
