"""The incident switch: a manager pauses wallet payments chain-wide or at one
store, with a reason, and lifts the pause with a reason.

While a pause is open the wallet service refuses every charge and every
confirmation of a held payment in its scope (payments.services.wallet_payments);
cash, card, points and top-ups keep working. One open pause per scope is a
database constraint, so two managers pausing at once make one pause. Pausing
raises a high-severity RiskAlert (the other managers are emailed at once);
lifting resolves it, and the pause row keeps who lifted it, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.exceptions import WalletPauseInvalid, WalletPauseRefused
from payments.models import RiskAlert, Store, WalletPause
from payments.services.risk import risk_alert_create

PAUSE_PERMISSION = "payments.pause_wallet_payments"


def _check_may_pause(user: Any) -> None:
    if user is None or not user.is_active or not user.has_perm(PAUSE_PERMISSION):
        raise WalletPauseRefused(_("Only a manager can pause or resume wallet payments."))


def _reason(text: str, *, message: str) -> str:
    cleaned = " ".join(text.split())[:300]
    if not cleaned:
        raise WalletPauseInvalid(message)
    return cleaned


def _scope_name(store: Store | None) -> str:
    return store.name if store is not None else _("all stores")


def wallet_payments_pause(*, store: Store | None, reason: str, by: Any, now: datetime | None = None) -> WalletPause:
    """Pause wallet payments at `store` (None: at every store). Refused
    unless `by` holds the pause permission, without a reason, or when that
    scope is already paused (the constraint settles a race)."""
    _check_may_pause(by)
    reason = _reason(reason, message=_("Say why wallet payments are paused: baristas see it at the till."))
    now = now or timezone.now()
    already = _("Wallet payments are already paused at %(scope)s: lift that pause first.") % {
        "scope": _scope_name(store)
    }
    if WalletPause.objects.filter(store=store, lifted_at__isnull=True).exists():
        raise WalletPauseInvalid(already)
    try:
        with transaction.atomic(durable=True):
            pause = WalletPause.objects.create(store=store, reason=reason, set_by=by, set_at=now)
            scope = store.name if store is not None else "all stores"
            pause.alert = risk_alert_create(
                kind=RiskAlert.Kind.WALLET_PAUSED,
                store=store,
                detail=f"Wallet payments paused at {scope} by {by.get_username()}: {reason}",
            )
            pause.save(update_fields=["alert"])
    except IntegrityError:
        raise WalletPauseInvalid(already) from None
    return pause


def wallet_payments_resume(*, pause: WalletPause, reason: str, by: Any, now: datetime | None = None) -> WalletPause:
    """Lift an open pause: wallet payments work again in its scope (unless
    another pause covers it). Records who lifted it, when and why, and
    resolves the alert raised when it was set."""
    _check_may_pause(by)
    reason = _reason(reason, message=_("Say why wallet payments can resume."))
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = WalletPause.objects.select_for_update(of=("self",)).select_related("store").filter(pk=pause.pk).first()
        if locked is None or locked.lifted_at is not None:
            raise WalletPauseInvalid(_("This pause has already been lifted."))
        locked.lifted_at = now
        locked.lifted_by = by
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        if locked.alert_id is not None:
            RiskAlert.objects.filter(pk=locked.alert_id, resolved_at__isnull=True).update(
                resolved_at=now, resolved_by=by, resolution_note=f"Lifted by {by.get_username()}: {reason}"[:300]
            )
    return locked
