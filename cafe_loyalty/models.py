"""The value-change log: four eyes on value a manager creates by hand.

It lives in the top layer because one change may touch any app below it
(points in members, coupons in campaigns, top-up bonus rules in payments)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ValueChange(models.Model):
    """One change of value a manager asked for in the admin: issuing or
    un-redeeming a coupon, a coupon template, a top-up bonus rule, a points
    adjustment. Every such change has a row, small ones too (applied at once,
    with no approver), so this is the complete audit log. A change above its
    threshold stays pending until a second manager approves it (it is applied
    in the same transaction: pending -> applied) or someone rejects it
    (nothing is applied). `payload` is what is applied, as it was asked for."""

    class Kind(models.TextChoices):
        COUPON_ISSUE = "coupon_issue", _("Issue a coupon")
        COUPON_UNREDEEM = "coupon_unredeem", _("Un-redeem a coupon")
        COUPON_TEMPLATE = "coupon_template", _("Coupon template")
        BONUS_RULE = "bonus_rule", _("Top-up bonus rule")
        POINTS_ADJUSTMENT = "points_adjustment", _("Points adjustment")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    summary = models.CharField(_("change"), max_length=300)
    payload = models.JSONField(_("details"), encoder=DjangoJSONEncoder)
    # The size the threshold was measured on: minor units for coupons, points
    # for adjustments; empty when it has no upper bound (a percentage off).
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("member")
    )
    reason = models.CharField(_("reason"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # What the change created or changed ("campaigns.coupon", "42"), once applied.
    result_model = models.CharField(_("result type"), max_length=60, blank=True)
    result_id = models.CharField(_("result id"), max_length=40, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("value change")
        verbose_name_plural = _("value changes (four eyes)")
        permissions = [("decide_valuechange", "Can approve or reject value changes")]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="value_change_has_reason"),
            # The database's own four eyes: whoever applies a change by
            # approving it is not who asked for it.
            models.CheckConstraint(
                condition=~Q(status="applied") | ~Q(decided_by=F("requested_by")),
                name="value_change_not_self_approved",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, decided_by__isnull=True)
                | Q(status="applied", decided_at__isnull=False)
                | Q(status="rejected", decided_at__isnull=False, decided_by__isnull=False),
                name="value_change_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"
