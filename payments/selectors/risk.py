"""Reads for the risk controls: open alerts for managers, who hears of an
alert, and the wallet payments pauses in force."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from cafe_loyalty.core.roles import MANAGER, SHIFT_MANAGER
from payments.models import RiskAlert, WalletPause


def risk_alerts_open() -> QuerySet[RiskAlert]:
    """Unresolved alerts, high severity first, then newest first."""
    return (
        RiskAlert.objects.filter(resolved_at__isnull=True)
        .annotate(
            high=Case(
                When(kind__in=RiskAlert.HIGH_SEVERITY, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .select_related("member", "terminal__store", "store")
        .order_by("-high", "-created_at", "-pk")
    )


def risk_alert_recipients(*, alert: RiskAlert) -> list[str]:
    """Who is told of a high-severity alert at once: every active Manager
    with a verified email address, and the Shift managers of the store the
    alert concerns (its own, or its terminal's)."""
    on_duty = Q(user__groups__name=MANAGER)
    store_id = alert.store_id or (alert.terminal.store_id if alert.terminal is not None else None)
    if store_id is not None:
        on_duty |= Q(user__groups__name=SHIFT_MANAGER, user__store_roles__store_id=store_id)
    found = EmailAddress.objects.filter(on_duty, verified=True, primary=True, user__is_active=True)
    return sorted(set(found.values_list("email", flat=True)))


def wallet_pauses_in_force(*, store_id: int | None) -> QuerySet[WalletPause]:
    """The open pauses that stop wallet payments at the store `store_id`
    (None: the pauses for every store only)."""
    scope = Q(store__isnull=True) if store_id is None else Q(store__isnull=True) | Q(store_id=store_id)
    return WalletPause.objects.filter(scope, lifted_at__isnull=True)


def wallet_pause_current(*, store_id: int | None) -> WalletPause | None:
    """The pause that stops wallet payments at the store `store_id` (None:
    the pause for every store only), if any: a chain-wide pause before a
    store's own; within a scope the latest open one."""
    return (
        wallet_pauses_in_force(store_id=store_id)
        .select_related("store")
        .order_by(F("store").asc(nulls_first=True), "-set_at", "-pk")
        .first()
    )


def wallet_pauses_open() -> list[WalletPause]:
    """Every pause in force, the chain-wide one first, then by store name."""
    return list(
        WalletPause.objects.filter(lifted_at__isnull=True)
        .select_related("store", "set_by")
        .order_by(F("store__name").asc(nulls_first=True), "-set_at")
    )
