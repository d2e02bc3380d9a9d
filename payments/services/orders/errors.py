"""The till's refusal for order operations."""

from __future__ import annotations

from payments.exceptions import WalletError


class TillError(WalletError):
    status, code, title = 422, "till_error", "Cannot do that"


class ItemSoldOut(TillError):
    """Sold out at the order's store: the till's cart and order ahead refuse
    it alike (order ahead re-exports it with its other refusals)."""

    status, code, title = 409, "item_sold_out", "An item or option is sold out at this store"
