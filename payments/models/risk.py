"""Idempotency records of money requests, and the risk controls' records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Idempotency & risk --------------------------------------------------------


class IdempotencyRecord(models.Model):
    """The stored outcome of a money POST, so a retry gets the same answer."""

    scope = models.CharField(_("scope"), max_length=60)
    key = models.CharField(_("key"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class RiskAlert(models.Model):
    class Kind(models.TextChoices):
        DAILY_LIMIT = "daily_limit", _("Daily limit hit")
        VELOCITY = "velocity", _("Too many payments per minute")
        FAILED_CODES = "failed_codes", _("Repeated failed payment codes")
        FROZEN_ATTEMPT = "frozen_attempt", _("Payment attempt on a frozen wallet")
        LARGE_REFUND = "large_refund", _("Large refund")
        UNUSUAL_SPEND = "unusual_spend", _("Unusual spending for this member")
        TOP_UP_LIMIT = "top_up_limit", _("Daily top-up cap reached")
        WALLET_PAUSED = "wallet_paused", _("Wallet payments paused")
        GUESSING = "guessing", _("Guessing payment codes or card numbers")
        OFFLINE_DOUBLE_SPEND = "offline_double_spend", _("Offline code used twice or beyond its allowance")

    # Kinds a manager must hear of at once: each is emailed to the managers
    # on duty as it is raised, and listed first on the admin's front page.
    HIGH_SEVERITY = frozenset(
        {Kind.UNUSUAL_SPEND, Kind.FAILED_CODES, Kind.WALLET_PAUSED, Kind.GUESSING, Kind.OFFLINE_DOUBLE_SPEND}
    )

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risk_alerts",
    )
    terminal = models.ForeignKey(
        "payments.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, null=True, blank=True
    )
    # The store concerned (the terminal's, or a store's wallet pause); its
    # shift managers are emailed beside the managers for a high-severity alert.
    store = models.ForeignKey(
        "payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=300)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution_note = models.CharField(_("resolution note"), max_length=300, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True, editable=False)  # managers emailed

    class Meta:
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"

    @property
    def is_high_severity(self) -> bool:
        return self.kind in self.HIGH_SEVERITY


class FailedCodeAttempt(models.Model):
    """A refused payment code, for the repeated-failure alert."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, null=True, blank=True
    )
    terminal = models.ForeignKey(
        "payments.Terminal", verbose_name=_("terminal"), on_delete=models.CASCADE, null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=40)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("failed code attempt")
        verbose_name_plural = _("failed code attempts")

    def __str__(self) -> str:
        return f"{self.reason} at {self.created_at:%Y-%m-%d %H:%M}"
