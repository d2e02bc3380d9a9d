"""Paying a synced sale's offline wallet tender from the certificate's hold.

The hold pays what it covers; whatever it does not (the same code, or copies
of the phone's codes, used at two offline tills: a counter seen twice, or
more spent than the allowance) is the programme's loss, posted from the
Adjustments account to the store's sales, so the order is still paid in
full and the ledger still balances: the barista handed the coffee over, and
the books say who bore it. Such a double use raises a RiskAlert and ends the
certificate (what is left of the hold goes back to the wallet): the member
has to turn paying offline on again, online, after a manager has looked.
The most the programme can lose is bounded by what a copier can spend before
the tills sync, and each till only accepts codes up to the allowance.

Lock order (inside the sale's transaction, after the order row is made):
the certificate row, then the wallet and the hold (lock_wallets, by primary
key), then the system accounts last (system_postings_last)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from payments.models import Account, OfflineCertificate, OfflineCodeUse, RiskAlert, Store, Tender, Terminal, Transfer
from payments.services.ledger import Leg, lock_wallets, post_transfers, system_account, wallet_get_or_create
from payments.services.offline.formats import OfflineCode, OfflineCodeInvalid
from payments.services.offline.holds import certificate_end_locked
from payments.services.risk import risk_alert_create


@dataclass
class OfflinePaid:
    from_hold: int
    lost: int
    double_use: bool


def certificate_for_code(code: OfflineCode) -> OfflineCertificate:
    """The certificate the code carries, locked; it must be the member's own
    (the card number signed into it)."""
    cert = code.certificate
    found = (
        OfflineCertificate.objects.select_for_update(of=("self",))
        .select_related("member", "hold_account")
        .filter(pk=cert.cert_id, kid=cert.kid)
        .first()
    )
    if found is None or found.member.card_number != cert.card_number or found.allowance != cert.allowance:
        raise OfflineCodeInvalid(_("This offline code's certificate is not ours."))
    return found


def offline_tender_pay_locked(
    *, certificate: OfflineCertificate, code: OfflineCode, tender: Tender, store: Store, terminal: Terminal | None
) -> OfflinePaid:
    """Inside the sale's transaction, `certificate` locked (certificate_for_code):
    pay `tender` from the hold, the rest as a loss; record the code's counter."""
    amount = tender.amount
    wallet = wallet_get_or_create(member=certificate.member)
    hold = lock_wallets(wallet, certificate.hold_account)[certificate.hold_account_id]
    seen = OfflineCodeUse.objects.filter(certificate=certificate, counter=code.counter).exists()
    covered = min(amount, hold.balance)
    lost = amount - covered
    sales = system_account(kind=Account.Kind.SALES, store=store)
    legs = []
    if covered:
        legs.append(Leg(debit=hold, credit=sales, amount=covered, kind=Transfer.Kind.PAYMENT))
    if lost:
        adjustments = system_account(kind=Account.Kind.ADJUSTMENTS)
        legs.append(Leg(debit=adjustments, credit=sales, amount=lost, kind=Transfer.Kind.ADJUSTMENT))
    post_transfers(
        legs,
        order_reference=tender.order.reference,
        actor_terminal=terminal,
        memo=f"offline code {certificate.pk}#{code.counter}",
    )
    OfflineCodeUse.objects.create(
        certificate=certificate, counter=code.counter, amount=amount, from_hold=covered, lost=lost, tender=tender
    )
    certificate.spent += covered
    certificate.lost += lost
    certificate.save(update_fields=["spent", "lost"])
    double_use = seen or lost > 0
    if double_use:
        risk_alert_create(
            kind=RiskAlert.Kind.OFFLINE_DOUBLE_SPEND,
            member=certificate.member,
            terminal=terminal,
            store=store,
            detail=(
                f"Offline code {code.counter} of certificate {certificate.pk}"
                f"{' used again' if seen else ''}: {format_money(amount)} paid,"
                f" {format_money(covered)} from the hold, {format_money(lost)} lost; offline paying turned off."
            ),
        )
        if certificate.status == OfflineCertificate.Status.ACTIVE:
            certificate_end_locked(
                certificate=certificate, status=OfflineCertificate.Status.REVOKED, reason="offline code used twice"
            )
    return OfflinePaid(from_hold=covered, lost=lost, double_use=double_use)
