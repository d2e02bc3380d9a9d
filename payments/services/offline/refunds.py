"""Refunding an offline-code tender: the part the hold paid goes to the
member's wallet (the hold may have ended since); the part that was a loss
(a copied code) is not the member's money and is never paid back."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from payments.exceptions import RefundExceedsPayment
from payments.models import Account, OfflineCodeUse, Tender, Transfer
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create


def offline_tender_refund_locked(*, tender: Tender, amount: int, reference: str) -> int:
    """Inside the order refund's transaction (the order locked): move `amount`
    sales → wallet. Returns the wallet's balance after."""
    use = OfflineCodeUse.objects.select_related("certificate__member").get(tender=tender)
    left = use.from_hold - tender.refunded_amount
    if amount > left:
        raise RefundExceedsPayment(
            _("At most %(left)s of this offline payment can go back to the wallet; a manager settles the rest.")
            % {"left": format_money(max(left, 0))},
            refundable_amount=max(left, 0),
        )
    wallet = wallet_get_or_create(member=use.certificate.member)
    locked = lock_wallets(wallet)[wallet.pk]
    sales = system_account(kind=Account.Kind.SALES, store=tender.order.store)
    post_transfers(
        [Leg(debit=sales, credit=locked, amount=amount, kind=Transfer.Kind.REFUND)],
        order_reference=reference,
        memo=f"offline code {use.certificate_id}#{use.counter} refunded",
    )
    return locked.balance + amount
