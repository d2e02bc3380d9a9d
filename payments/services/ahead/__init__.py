"""Order ahead (issue 16): members order and pay from the portal or the API
for pickup, the baristas make it from a queue. An order ahead is an order of
channel `ahead` on the one sale path, paid by a wallet tender. Split by
concept: hours (when a store takes orders), place, progress (advance,
cancel); the public services are here."""

from payments.services.ahead.controls import (
    modifier_sold_out_set,
    product_sold_out_set,
    store_ahead_pause,
    store_ahead_resume,
)
from payments.services.ahead.errors import (
    ModifierInvalid,
    OrderAheadPaused,
    OrderNotCancellable,
    OrderStatusInvalid,
    PickupInvalid,
    StoreClosed,
)
from payments.services.ahead.hours import (
    CLOSED,
    OFF,
    OPEN,
    PAUSED,
    AheadState,
    ahead_pickup_check,
    ahead_ready_estimate,
    store_ahead_state,
    store_intervals,
    store_next_opening,
    store_open_interval,
    store_zone,
)
from payments.services.ahead.place import MAX_LINES, MAX_QUANTITY, AheadLine, AheadPlaced, ahead_order_place
from payments.services.ahead.progress import (
    AheadCancelled,
    ahead_order_advance,
    ahead_order_cancel,
    ahead_order_link,
)
from payments.services.orders.errors import ItemSoldOut  # order ahead refuses it too (the cart's rule)

__all__ = [
    "CLOSED",
    "OFF",
    "OPEN",
    "PAUSED",
    "MAX_LINES",
    "MAX_QUANTITY",
    "AheadCancelled",
    "AheadLine",
    "AheadPlaced",
    "AheadState",
    "ItemSoldOut",
    "ModifierInvalid",
    "OrderAheadPaused",
    "OrderNotCancellable",
    "OrderStatusInvalid",
    "PickupInvalid",
    "StoreClosed",
    "ahead_order_advance",
    "ahead_order_cancel",
    "ahead_order_link",
    "ahead_order_place",
    "ahead_pickup_check",
    "ahead_ready_estimate",
    "modifier_sold_out_set",
    "product_sold_out_set",
    "store_ahead_pause",
    "store_ahead_resume",
    "store_ahead_state",
    "store_intervals",
    "store_next_opening",
    "store_open_interval",
    "store_zone",
]
