"""Orders, the one sale path: every sale (till, API, and later order-ahead and
offline) is an order paid by one or more tenders; loyalty is earned once when
it is paid (settle) and reversed once per refund (refunds). Split by concept;
the public services are here."""

from payments.services.orders.cart import (
    order_add_product,
    order_apply_coupon,
    order_apply_coupon_locked,
    order_attach_member,
    order_attach_member_by_code,
    order_line_set_modifiers,
    order_line_set_quantity,
    order_open,
    order_recalculate,
    order_remove_coupon,
    order_require_proven_member,
)
from payments.services.orders.errors import TillError
from payments.services.orders.refunds import (
    OrderRefundResult,
    order_refund,
    order_refund_amount,
    order_refund_locked,
    refund_needs_approval,
)
from payments.services.orders.settle import order_settle_if_covered
from payments.services.orders.tenders import (
    ConfirmResult,
    TenderResult,
    WalletSale,
    order_add_tender,
    order_confirm_payment,
    order_pay_by_code,
    order_payment_declined,
    order_refresh_pending,
    orders_expire_held,
)

__all__ = [
    "ConfirmResult",
    "OrderRefundResult",
    "TenderResult",
    "TillError",
    "WalletSale",
    "order_add_product",
    "order_add_tender",
    "order_apply_coupon",
    "order_apply_coupon_locked",
    "order_attach_member",
    "order_attach_member_by_code",
    "order_confirm_payment",
    "order_line_set_modifiers",
    "order_line_set_quantity",
    "order_open",
    "order_pay_by_code",
    "order_payment_declined",
    "order_recalculate",
    "order_refresh_pending",
    "order_refund",
    "order_refund_amount",
    "order_refund_locked",
    "order_remove_coupon",
    "order_require_proven_member",
    "order_settle_if_covered",
    "orders_expire_held",
    "refund_needs_approval",
]
