"""What taking a tender answers (payments.services.orders.tenders)."""

from __future__ import annotations

from dataclasses import dataclass

from payments.models import OrderCoupon, OrderLine, Tender


# What a paid order's cart shows, read under its lock in the transaction that
# paid it: a paid order takes no more lines, coupons or tenders, so they hold.
@dataclass
class PaidCart:
    lines: list[OrderLine]
    coupons: list[OrderCoupon]
    tenders: list[Tender]


@dataclass
class TenderResult:
    tender: Tender
    replayed: bool
    wallet_balance: int | None = None  # after a wallet tender
    paid_cart: PaidCart | None = None  # when this tender paid the order
