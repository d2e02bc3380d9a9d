"""The incident switch: wallet payments paused chain-wide or at one store."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WalletPause(models.Model):
    """While a pause is open (not lifted), wallet charges and confirmations
    of held payments are refused in its scope: every store when `store` is
    empty, else that store's tills and terminals. Cash, card, points and
    top-ups keep working. A lifted pause stays as the record of who paused,
    why, and who lifted it and why."""

    store = models.ForeignKey(
        "payments.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet_pauses",
        verbose_name=_("store"),
        help_text=_("Leave empty to pause wallet payments at every store."),
    )
    reason = models.CharField(_("reason"), max_length=300, help_text=_("Shown to baristas at the till."))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.CharField(_("why lifted"), max_length=300, blank=True)
    # The high-severity alert raised when paused (managers emailed); lifting resolves it.
    alert = models.OneToOneField(
        "payments.RiskAlert",
        verbose_name=_("risk alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet_pause",
    )

    class Meta:
        ordering = ["-set_at"]
        verbose_name = _("wallet payments pause")
        verbose_name_plural = _("wallet payments pauses")
        permissions = [("pause_wallet_payments", "Can pause and resume wallet payments")]
        constraints = [
            # One open pause per scope (a store, or the whole chain: store 0).
            models.UniqueConstraint(
                Coalesce("store", Value(0)),
                condition=Q(lifted_at__isnull=True),
                name="wallet_pause_one_open_per_scope",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="wallet_pause_has_reason"),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | (Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason="")),
                name="wallet_pause_lift_recorded",
            ),
        ]

    def __str__(self) -> str:
        scope = self.store.name if self.store else _("all stores")
        return f"{scope}: {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None
