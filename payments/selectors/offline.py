"""Reads of offline paying: a member's current certificate, for the Pay page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from members.models import Member
from payments.models import Account, OfflineCertificate


def offline_certificate_active(*, member: Member) -> OfflineCertificate | None:
    return (
        OfflineCertificate.objects.filter(member=member, status=OfflineCertificate.Status.ACTIVE)
        .select_related("hold_account")
        .first()
    )


def offline_status(*, member: Member, now: datetime) -> dict[str, Any]:
    """{"enabled", while off "frozen" (the wallet is frozen), and while on:
    "certificate_id", "allowance", "left" (in the hold), "expires_at",
    "expired" (codes no longer valid; the hold returns after the sync grace)}."""
    certificate = offline_certificate_active(member=member)
    if certificate is None:
        # A frozen wallet cannot turn it on (and freezing turned it off): the page says so instead of offering it.
        frozen = Account.objects.filter(member=member, kind=Account.Kind.WALLET, frozen_at__isnull=False).exists()
        return {"enabled": False, "frozen": frozen}
    return {
        "enabled": True,
        "certificate_id": certificate.pk,
        "allowance": certificate.allowance,
        "left": certificate.hold_account.balance,
        "expires_at": certificate.expires_at.isoformat(),
        "expired": certificate.expires_at <= now,
    }
