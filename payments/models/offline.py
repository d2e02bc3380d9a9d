"""Offline wallet payments (DESIGN "Offline"): the programme's signing keys,
members' offline certificates with their hold accounts, the codes seen at
sync, and the offline till's sales (one row per till-made key)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OfflineProgrammeKey(models.Model):
    """A public key the programme has signed certificates with. The private
    key lives outside the database (CAFE_OFFLINE_KEY / CAFE_OFFLINE_KEY_FILE);
    each public key is recorded here the first time it signs, so a rotated-out
    key keeps verifying the certificates it signed until they have expired."""

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    public_key = models.TextField(_("public key (SPKI, base64)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("offline programme key")
        verbose_name_plural = _("offline programme keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.kid


class OfflineCertificate(models.Model):
    """One phone's permission to pay offline: its device key, the allowance
    held for it in `hold_account`, and what codes have spent from it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Turned off")
        EXPIRED = "expired", _("Expired")

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="offline_certificates"
    )
    device_public_key = models.TextField(_("device public key (P-256 point, base64url)"))
    allowance = models.BigIntegerField(_("allowance"))
    spent = models.BigIntegerField(_("spent"), default=0)
    lost = models.BigIntegerField(_("lost"), default=0, help_text=_("Spent beyond the hold (a copied code)"))
    kid = models.CharField(_("key id"), max_length=16)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    hold_account = models.OneToOneField(
        "payments.Account",
        verbose_name=_("hold account"),
        on_delete=models.PROTECT,
        related_name="offline_certificate",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("offline certificate")
        verbose_name_plural = _("offline certificates")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status="active"), name="offline_one_active_per_member"
            ),
            models.CheckConstraint(
                condition=models.Q(allowance__gt=0, spent__gte=0, lost__gte=0), name="offline_amounts_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"Offline certificate {self.pk}"


class OfflineCodeUse(models.Model):
    """An offline code paid at sync: the same counter twice is a copied code."""

    certificate = models.ForeignKey(
        "payments.OfflineCertificate", verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="uses"
    )
    counter = models.BigIntegerField(_("counter"))
    amount = models.BigIntegerField(_("amount"))
    from_hold = models.BigIntegerField(_("paid from the hold"))
    lost = models.BigIntegerField(_("lost"), default=0)
    tender = models.OneToOneField(
        "payments.Tender", verbose_name=_("tender"), on_delete=models.PROTECT, related_name="offline_use"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("offline code use")
        verbose_name_plural = _("offline code uses")
        indexes = [models.Index(fields=["certificate", "counter"], name="offline_use_counter")]

    def __str__(self) -> str:
        return f"{self.certificate_id}#{self.counter}"


class OfflineSale(models.Model):
    """A sale an offline till sent, by the key the till made for it: a resend
    replays this outcome; the same key with another body is refused."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        REFUSED = "refused", _("Refused")

    store = models.ForeignKey("payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    code = models.CharField(_("refusal code"), max_length=40, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    order = models.OneToOneField(
        "payments.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offline_sale",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("offline sale")
        verbose_name_plural = _("offline sales")
        constraints = [models.UniqueConstraint(fields=["store", "key"], name="offline_sale_key_once_per_store")]

    def __str__(self) -> str:
        return self.key
