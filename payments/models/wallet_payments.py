"""Wallet payments by one-time code and their refunds (the money side of an
order's wallet tender)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.money import format_money


class PaymentCode(models.Model):
    """A one-time 18-digit code shown on the member's phone. Only its keyed hash
    is stored; `used_at` makes it single-use under a row lock."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="payment_codes"
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment code")
        verbose_name_plural = _("payment codes")
        indexes = [models.Index(fields=["member", "created_at"])]

    def __str__(self) -> str:
        return f"code {self.pk} of member {self.member_id}"


class Payment(models.Model):
    class Status(models.TextChoices):
        REQUIRES_CONFIRMATION = "requires_confirmation", _("Waiting for member")
        SUCCEEDED = "succeeded", _("Paid")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.BigIntegerField(_("amount"))
    refunded_amount = models.BigIntegerField(_("refunded amount"), default=0)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    decline_code = models.CharField(_("decline code"), max_length=40, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    store = models.ForeignKey(
        "payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, null=True, blank=True
    )
    terminal = models.ForeignKey(
        "payments.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_code = models.OneToOneField(
        "payments.PaymentCode",
        verbose_name=_("payment code"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
    )
    # The API request (idempotency claim) that created this row, written in the
    # same transaction: lets a retry rebuild the answer if the first request
    # died after committing (see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "payments.IdempotencyRecord",
        verbose_name=_("idempotency record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    confirm_by = models.DateTimeField(_("confirm by"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({format_money(self.amount)}, {self.status})"

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.refunded_amount if self.status == self.Status.SUCCEEDED else 0


class Refund(models.Model):
    """Money back to the wallet for a payment: the wallet part of an order refund."""

    payment = models.ForeignKey(
        "payments.Payment", verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    order_refund = models.ForeignKey(
        "payments.OrderRefund",
        verbose_name=_("order refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet_refunds",
    )
    terminal = models.ForeignKey(
        "payments.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The API request (idempotency claim) that created this row, written in the
    # same transaction: lets a retry rebuild the answer if the first request
    # died after committing (see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "payments.IdempotencyRecord",
        verbose_name=_("idempotency record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.pk} of payment {self.payment_id}"
