"""Turning offline paying on and off for a member, and ending certificates
that have expired, all as ledger transfers between the member's wallet and
the certificate's hold account.

The hold is what the programme can lose to a copied code: offline codes pay
from it, never from the wallet (see pay), so enabling moves the allowance
wallet → hold, and ending (turned off, replaced, expired, or a double use)
moves what is left hold → wallet. Lock order: the certificate row, then the
wallet and the hold together in primary-key order (lock_wallets)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.problems import Problem
from members.models import Member
from payments.exceptions import AccountFrozen, InsufficientFunds, ReauthenticationNeeded
from payments.models import Account, OfflineCertificate, ProgrammeSettings, Transfer
from payments.services.ledger import Leg, lock_wallets, post_transfers, wallet_get_or_create
from payments.services.offline.formats import certificate_build
from payments.services.offline.keys import CERTIFICATE_LIFETIME, SYNC_GRACE, b64url, programme_signing_key

DEFAULT_ALLOWANCE = 30_000  # NT$300, the default; never above the programme's cap


class OfflineSetupInvalid(Problem):
    status, code, title = 422, "offline_setup_invalid", "Offline paying cannot be set up like this"


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: OfflineCertificate
    text: str  # base64url of the 162 signed bytes (formats.py)


def device_key_raw(spki_base64: str) -> bytes:
    """The phone's public key (WebCrypto exportKey("spki"), base64 or
    base64url) as the 65-byte point the certificate carries."""
    text = spki_base64.strip().replace("-", "+").replace("_", "/")
    try:
        key = serialization.load_der_public_key(base64.b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise OfflineSetupInvalid(_("The phone's key could not be read.")) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise OfflineSetupInvalid(_("The phone's key must be an ECDSA P-256 key."))
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def offline_enable(
    *, member: Member, device_public_key: str, allowance: int | None, reauthenticated: bool
) -> IssuedCertificate:
    """Set `allowance` aside from the wallet in a new hold account and sign a
    certificate for the phone's key. A certificate already active (another
    phone, or this one again) ends first and its hold goes back. Needs the
    member to have just confirmed it is them (allauth's reauthentication)."""
    if not reauthenticated:
        raise ReauthenticationNeeded(_("Confirm it is you, then turn on paying offline."))
    cap = ProgrammeSettings.current().offline_allowance_cap
    amount = min(DEFAULT_ALLOWANCE, cap) if allowance is None else allowance
    if amount <= 0 or amount > cap:
        raise OfflineSetupInvalid(
            _("Choose an amount above zero and at most %(cap)s.") % {"cap": format_money(cap)}
            if cap
            else _("Paying offline is turned off for now."),
        )
    device = device_key_raw(device_public_key)
    kid, key = programme_signing_key()
    now = timezone.now()
    wallet = wallet_get_or_create(member=member)
    with transaction.atomic(durable=True):
        certificates_end_locked(member=member, reason="replaced")
        hold = Account.objects.create(kind=Account.Kind.OFFLINE_HOLD, name=f"Offline hold {member.card_number}")
        locked = lock_wallets(wallet, hold)[wallet.pk]
        if locked.is_frozen:  # a frozen wallet pays nothing, offline included (wallet_freeze ends the certificate)
            raise AccountFrozen(
                _("This wallet was frozen by the cafe; please contact us to unfreeze it.")
                if locked.frozen_by_staff
                else _("Your wallet is frozen, so paying offline cannot be turned on. Unfreeze it first.")
            )
        if locked.balance < amount:
            raise InsufficientFunds(
                _("The wallet holds %(balance)s; top up or choose less.") % {"balance": format_money(locked.balance)}
            )
        certificate = OfflineCertificate.objects.create(
            member=member,
            device_public_key=b64url(device),
            allowance=amount,
            kid=kid,
            hold_account=hold,
            created_at=now,
            expires_at=now + CERTIFICATE_LIFETIME,
        )
        post_transfers(
            [Leg(debit=locked, credit=hold, amount=amount, kind=Transfer.Kind.OFFLINE_HOLD)],
            memo=f"offline certificate {certificate.pk}",
        )
    raw = certificate_build(
        kid=kid,
        key=key,
        cert_id=certificate.pk,
        card_number=member.card_number,
        device_key=device,
        allowance=amount,
        expires_at=certificate.expires_at,
    )
    return IssuedCertificate(certificate=certificate, text=b64url(raw))


def certificate_end_locked(*, certificate: OfflineCertificate, status: str, reason: str) -> int:
    """Inside the caller's transaction with the certificate row locked: end
    it and move what is left in its hold back to the wallet. Returns that."""
    wallet = wallet_get_or_create(member=certificate.member)
    accounts = lock_wallets(wallet, certificate.hold_account)
    hold = accounts[certificate.hold_account_id]
    left = hold.balance
    if left > 0:
        post_transfers(
            [Leg(debit=hold, credit=accounts[wallet.pk], amount=left, kind=Transfer.Kind.OFFLINE_RELEASE)],
            memo=f"offline certificate {certificate.pk}: {reason}",
        )
    certificate.status, certificate.ended_at, certificate.end_reason = status, timezone.now(), reason[:100]
    certificate.save(update_fields=["status", "ended_at", "end_reason"])
    return left


def certificates_end_locked(*, member: Member, reason: str) -> int:
    """Inside the caller's transaction, before it locks the member's wallet:
    turn the member's offline paying off (lock the active certificate, then
    return its hold). The one way it ends for a member: turned off, replaced
    by a new phone, or the wallet frozen. Returns what went back."""
    returned = 0
    for certificate in OfflineCertificate.objects.select_for_update().filter(
        member=member, status=OfflineCertificate.Status.ACTIVE
    ):
        returned += certificate_end_locked(
            certificate=certificate, status=OfflineCertificate.Status.REVOKED, reason=reason
        )
    return returned


def offline_disable(*, member: Member, reason: str = "turned off by the member") -> int:
    """Turn offline paying off: the unused hold goes back to the wallet.
    Returns how much; 0 when it was not on."""
    with transaction.atomic(durable=True):
        return certificates_end_locked(member=member, reason=reason)


def offline_certificates_expire(*, now: datetime | None = None) -> int:
    """The periodic job: certificates past their expiry and the sync grace
    (a till offline meanwhile may still sync sales paid from the hold) end,
    and their holds go back. Idempotent. Returns how many ended."""
    now = now or timezone.now()
    ended = 0
    due = OfflineCertificate.objects.filter(
        status=OfflineCertificate.Status.ACTIVE, expires_at__lte=now - SYNC_GRACE
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic(durable=True):
            certificate = (
                OfflineCertificate.objects.select_for_update()
                .select_related("member", "hold_account")
                .filter(pk=pk, status=OfflineCertificate.Status.ACTIVE)
                .first()
            )
            if certificate is None:
                continue  # ended meanwhile (turned off, or another run of the job)
            certificate_end_locked(certificate=certificate, status=OfflineCertificate.Status.EXPIRED, reason="expired")
            ended += 1
    return ended
