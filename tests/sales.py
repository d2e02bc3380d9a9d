"""Sales for tests, through the services every channel uses: a wallet payment
by code is an order with one wallet tender (as `POST /api/v1/payments` makes
it), and a refund of it goes through the order's refund service."""

from __future__ import annotations

from typing import Any

from members.models import Member
from payments.models import Store, Tender, Terminal
from payments.services.codes import hash_payment_code
from payments.services.orders import (
    ConfirmResult,
    OrderRefundResult,
    WalletSale,
    order_confirm_payment,
    order_pay_by_code,
    order_refund,
)


def default_store() -> Store:
    return Store.objects.order_by("pk").first() or Store.objects.create(name="Test store", slug="test-store")


def pay(
    *, code: str, amount: int, store: Store | None = None, terminal: Terminal | None = None, reference: str = ""
) -> WalletSale:
    """Pay `amount` with the member's one-time code, as a terminal would."""
    store = store or (terminal.store if terminal else None) or default_store()
    return order_pay_by_code(
        code_hash=hash_payment_code(code), amount=amount, store=store, terminal=terminal, reference=reference
    )


def refund_payment(
    *, payment_id: int, amount: int | None = None, approved_by: Any = None, reason: str = ""
) -> OrderRefundResult:
    """Refund all that is left (or `amount`) of a wallet payment, through its order."""
    tender = Tender.objects.select_related("order").get(payment_id=payment_id)
    return order_refund(
        order=tender.order, payment_id=payment_id, amount=amount, approved_by=approved_by, reason=reason
    )


def confirm_payment(*, payment_id: int, member: Member, approve: bool = True) -> ConfirmResult:
    return order_confirm_payment(payment_id=payment_id, member=member, approve=approve)
