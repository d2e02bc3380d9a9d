"""Refusals of order ahead, each with its problem code (DESIGN.md's table).

They are TillErrors, so the portal and the till show their message as they
show any refusal; the API answers each with its own status and code."""

from __future__ import annotations

from payments.services.orders.errors import TillError


class StoreClosed(TillError):
    status, code, title = 409, "store_closed", "The store is closed for order ahead then"


class OrderAheadPaused(TillError):
    status, code, title = 409, "order_ahead_paused", "The store has paused order ahead"


class OrderNotCancellable(TillError):
    status, code, title = 409, "order_not_cancellable", "The order can no longer be cancelled"


class OrderStatusInvalid(TillError):
    """A barista's step that is not forward from where the order is (or an
    order that is cancelled, or not paid yet)."""

    status, code, title = 409, "order_status_invalid", "The order cannot move to that status"


class PickupInvalid(TillError):
    status, code, title = 422, "pickup_invalid", "Choose a pickup time later today"


class ModifierInvalid(TillError):
    status, code, title = 422, "modifier_invalid", "An option does not belong to the item, or two of one group"
