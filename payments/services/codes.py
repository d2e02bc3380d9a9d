"""One-time payment codes shown on the member's phone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.hashing import keyed_hash
from members.models import Member
from payments.exceptions import AccountFrozen, WalletError
from payments.models import PaymentCode
from payments.selectors.codes import payment_code_by_hash, payment_code_check_live
from payments.selectors.wallet import wallet_for_member

CODE_PURPOSE = "payment-code"
CODE_LENGTH = 18
# Codes start with 9 so a scanner can tell them from 12-digit card numbers
# and coupon codes at a glance.
CODE_PREFIX = "9"
MAX_LIVE_CODES = 5


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


def hash_payment_code(code: str) -> str:
    return keyed_hash(code, purpose=CODE_PURPOSE)


def looks_like_payment_code(text: str) -> bool:
    return len(text) == CODE_LENGTH and text.isdigit() and text.startswith(CODE_PREFIX)


def member_for_live_code(code: str) -> Member | None:
    """The member a shown, still valid code belongs to, without using it up:
    at the counter the pay code identifies the member for a top-up."""
    if not looks_like_payment_code(code):
        return None
    try:
        found = payment_code_check_live(
            code=payment_code_by_hash(code_hash=hash_payment_code(code)), now=timezone.now()
        )
    except WalletError:
        return None
    return found.member


def payment_code_issue(*, member: Member, now: datetime | None = None) -> IssuedCode:
    """Issue a fresh code; keeps at most MAX_LIVE_CODES live codes per member by
    retiring the oldest (two phones, or a refresh in flight, stay valid).
    A frozen wallet gets no code: it could pay nothing with it."""
    now = now or timezone.now()
    wallet = wallet_for_member(member=member)
    if wallet is not None and wallet.is_frozen:
        raise AccountFrozen(_("Your wallet is frozen: unfreeze it before paying with it."))
    ttl = timedelta(seconds=settings.CAFE_PAYMENT_CODE_TTL_SECONDS)
    with transaction.atomic():
        live = list(
            PaymentCode.objects.select_for_update()
            .filter(member=member, used_at__isnull=True, retired_at__isnull=True, expires_at__gt=now)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        surplus = len(live) - (MAX_LIVE_CODES - 1)
        if surplus > 0:
            PaymentCode.objects.filter(pk__in=live[:surplus]).update(retired_at=now)
        code = CODE_PREFIX + "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH - 1))
        PaymentCode.objects.create(
            member=member, code_hash=hash_payment_code(code), created_at=now, expires_at=now + ttl
        )
    return IssuedCode(code=code, expires_at=now + ttl)


def payment_codes_retire(*, member: Member, now: datetime) -> int:
    """Retire every live code of the member (a lost phone may still show one):
    the till then refuses them as expired. Runs in the caller's transaction,
    before it locks the wallet: a payment locks its code, then the wallet, and
    taking them in the same order cannot deadlock; the codes themselves in
    payment_code_issue's order. Returns how many retired."""
    live = list(
        PaymentCode.objects.select_for_update()
        .filter(member=member, used_at__isnull=True, retired_at__isnull=True, expires_at__gt=now)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    return PaymentCode.objects.filter(pk__in=live).update(retired_at=now)


def payment_codes_purge(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Delete unused codes long past expiry (used ones stay, linked to payments)."""
    cutoff = timezone.now() - older_than
    deleted, _ = PaymentCode.objects.filter(expires_at__lt=cutoff, used_at__isnull=True).delete()
    return deleted
