"""Reads of payment codes: is the code the till scanned one the member can
still use (not unknown, used, expired or retired)?"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from payments.exceptions import PaymentCodeExpired, PaymentCodeInvalid, PaymentCodeUsed
from payments.models import PaymentCode


def payment_code_by_hash(*, code_hash: str) -> PaymentCode | None:
    return PaymentCode.objects.select_related("member").filter(code_hash=code_hash).first() if code_hash else None


def payment_code_check_live(*, code: PaymentCode | None, now: datetime) -> PaymentCode:
    """The one definition of a live code, for paying with it and for proving
    the member at the till: it exists, has not paid, and is neither past its
    expiry nor retired by a newer code. A refusal names the member (when the
    code found one) in `exc.member`, for the risk records."""
    if code is None:
        raise PaymentCodeInvalid(_("No such payment code. Ask the member to refresh the code on their phone."))
    if code.used_at is not None:
        exc: PaymentCodeUsed | PaymentCodeExpired = PaymentCodeUsed(
            _("This code has already paid. Ask the member for a fresh code.")
        )
    elif code.expires_at <= now or code.retired_at is not None:
        exc = PaymentCodeExpired(_("This code has expired. Ask the member to show the new code."))
    else:
        return code
    exc.member = code.member
    raise exc
