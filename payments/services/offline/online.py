"""An offline code scanned at a till that is online (issue #18 item 7): the
same checks as at sync (formats.offline_code_check), then the order is paid
at once from the certificate's hold, in the order's transaction.

Unlike sync, which must record what an offline till already handed over,
an online till can still say no, so it refuses what sync would only
record as a loss: a counter already used, a certificate turned off or
expired, more than the hold has left. Nothing is lost to a code taken
online, and a double use can only ever come from offline tills.

Lock order, as every tender: the order (and its coupons) first, then the
certificate, then the wallet and the hold, the system accounts last."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.notices import notices_batched
from payments.models import OfflineCertificate, OfflineCodeUse, Order, Tender
from payments.selectors.orders import order_due
from payments.selectors.risk import wallet_pause_current
from payments.services.ledger import system_postings_last
from payments.services.offline.formats import OfflineCodeInvalid, offline_code_check
from payments.services.offline.pay import certificate_for_code, offline_tender_pay_locked
from payments.services.orders.errors import TillError
from payments.services.orders.settle import order_lock_for_settling, order_settle_locked

PREFIX = "OF1."


def looks_like_offline_code(text: str) -> bool:
    return text.strip().startswith(PREFIX)


def order_pay_by_offline_code(*, order: Order, text: str, actor: Any) -> Tender:
    """Pay what is due on the till's open `order` with an offline code. The
    same code scanned twice for this order gives back the first tender."""
    text = text.strip()
    key = "offline-code:" + hashlib.sha256(text.encode()).hexdigest()[:48]
    existing = Tender.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.order_id != order.pk:
            raise OfflineCodeInvalid(_("This offline code was already used; ask for a new one."))
        return existing
    if wallet_pause_current(store_id=order.store_id) is not None:
        raise TillError(_("Wallet payments are paused by the cafe for now. Take cash or card instead."))
    now = timezone.now()
    with transaction.atomic(durable=True), system_postings_last(), notices_batched():
        locked = order_lock_for_settling(order_id=order.pk)
        if locked.status != Order.Status.OPEN:
            raise TillError(_("This order is already paid."))
        due = order_due(locked)
        if due <= 0:
            raise TillError(_("Nothing left to pay."))
        code = offline_code_check(text=text, amount=due, at=now)
        certificate = certificate_for_code(code)
        if certificate.status != OfflineCertificate.Status.ACTIVE:
            raise OfflineCodeInvalid(_("Paying offline is turned off on this phone; it must go online once."))
        if OfflineCodeUse.objects.filter(certificate=certificate, counter=code.counter).exists():
            raise OfflineCodeInvalid(_("This offline code was already used; ask for a new one."))
        if locked.member_id is not None and locked.member_id != certificate.member_id:
            raise OfflineCodeInvalid(_("This offline code is another member's."))
        tender = Tender.objects.create(
            order=locked, kind=Tender.Kind.OFFLINE_WALLET, amount=due, idempotency_key=key, created_at=now
        )
        paid = offline_tender_pay_locked(
            certificate=certificate, code=code, tender=tender, store=locked.store, terminal=locked.terminal
        )
        if paid.lost:
            # Raised inside the transaction: nothing of this tender stays.
            raise OfflineCodeInvalid(_("The offline allowance left on this phone does not cover this."))
        if locked.member_id is None:
            locked.member = certificate.member
            locked.save(update_fields=["member"])
        order_settle_locked(order=locked, now=now)
    order.refresh_from_db()
    return tender
