"""The wallet-short sale in one tap: what the wallet holds, the rest by cash or
card ("Wallet NT$950 + NT$185 by card").

Two tenders, each taken by `order_add_tender` in its own durable transaction
with its own idempotency key (the page's key, and that key + ":rest"), so a
double tap or a retried request takes each part once. The wallet part is the
amount the button showed: if the wallet holds less by now, nothing is taken
and the barista sees why. Should the rest be refused after the wallet part was
taken, the order stays part-paid and the till shows what is still due, as after
any other tender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from payments.models import Order, Tender
from payments.services.orders.errors import TillError
from payments.services.orders.tenders import TenderResult, order_add_tender

REST_KINDS = (Tender.Kind.CASH, Tender.Kind.CARD)


@dataclass
class SplitResult:
    wallet: TenderResult
    rest: TenderResult | None  # None while the wallet part waits for the member


def order_add_wallet_and_rest(
    *,
    order: Order,
    wallet_amount: int,
    rest_kind: str,
    idempotency_key: str,
    actor: Any,
    cash_received: int | None = None,
) -> SplitResult:
    """Take `wallet_amount` from the scanned code's wallet, then what is left
    by `rest_kind` (cash or card). A wallet part that waits for the member's
    confirmation takes no rest yet: if they decline, the barista takes the
    whole amount another way instead of refunding a card."""
    if rest_kind not in REST_KINDS:
        raise TillError(_("Pay the rest by cash or card."))
    if wallet_amount <= 0:
        raise TillError(_("Enter an amount above zero."))
    wallet = order_add_tender(
        order=order, kind=Tender.Kind.WALLET, idempotency_key=idempotency_key, actor=actor, amount=wallet_amount
    )
    if wallet.tender.status != Tender.Status.SETTLED or order.status != Order.Status.OPEN:
        return SplitResult(wallet=wallet, rest=None)
    rest = order_add_tender(
        order=order,
        kind=rest_kind,
        idempotency_key=f"{idempotency_key}:rest",
        actor=actor,
        cash_received=cash_received,
    )
    return SplitResult(wallet=wallet, rest=rest)
