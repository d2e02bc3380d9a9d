"""Orders, the one sale path: every sale (till, API, order-ahead, offline) is an
order paid by one or more tenders; loyalty is earned once when it is paid and
reversed once per refund. Split by concept; the public services are here."""

from payments.services.orders.cart import (
    order_add_product,
    order_apply_coupon,
    order_attach_member,
    order_line_set_modifiers,
    order_line_set_quantity,
    order_open,
    order_points_preview,
    order_recalculate,
    quote_lines,
)
from payments.services.orders.errors import TillError
from payments.services.orders.refunds import order_refund, order_refund_amount
from payments.services.orders.tenders import (
    TenderResult,
    order_add_tender,
    order_due,
    order_paid_amount,
    order_refresh_pending,
    order_settle_if_covered,
)

__all__ = [
    "TenderResult",
    "TillError",
    "order_add_product",
    "order_add_tender",
    "order_apply_coupon",
    "order_attach_member",
    "order_due",
    "order_line_set_modifiers",
    "order_line_set_quantity",
    "order_open",
    "order_paid_amount",
    "order_points_preview",
    "order_recalculate",
    "order_refresh_pending",
    "order_refund",
    "order_refund_amount",
    "order_settle_if_covered",
    "quote_lines",
]
