"""The till's refusal for order operations."""

from __future__ import annotations

from payments.exceptions import WalletError


class TillError(WalletError):
    status, code, title = 422, "till_error", "Cannot do that"
