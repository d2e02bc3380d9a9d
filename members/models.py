"""Members: the programme's customers. Money lives in `payments`; this app holds
the profile, consent and (with the loyalty engine) points and tiers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Member(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        help_text=_("Empty once the member deleted their account (records kept, anonymised)."),
    )
    card_number = models.CharField(_("card number"), max_length=12, unique=True, editable=False)
    display_name = models.CharField(_("name"), max_length=80)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    preferred_language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    points_balance = models.BigIntegerField(_("points"), default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="member_points_balance_non_negative"),
            models.CheckConstraint(condition=Q(card_number__regex=r"^[0-9]{12}$"), name="member_card_number_12_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.card_number})"

    @property
    def card_number_display(self) -> str:
        n = self.card_number
        return f"{n[:4]} {n[4:8]} {n[8:]}"

    @property
    def is_active_member(self) -> bool:
        return self.anonymised_at is None


class Consent(models.Model):
    """Append-only record of what a member agreed to, per channel and purpose.
    The newest row for a (channel, purpose) is the member's current choice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")
        PUSH = "push", _("Portal notifications")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Offers and news")
        PERSONALISED = "personalised", _("Personalised offers based on my orders")
        FEEDBACK = "feedback", _("Requests to rate my orders")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, default="portal")

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["member", "channel", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        return f"{self.member_id} {verb} {self.channel}/{self.purpose}"


class Notice(models.Model):
    """The member's inbox: every wallet and points movement and every offer.
    Written by services of any app (through `members.services.notice_send`),
    shown on the portal in real time."""

    class Kind(models.TextChoices):
        WALLET = "wallet", _("Wallet")
        POINTS = "points", _("Points")
        OFFER = "offer", _("Offer")
        TIER = "tier", _("Tier")
        SECURITY = "security", _("Security")
        FEEDBACK = "feedback", _("Feedback")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=160)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"]), models.Index(fields=["member", "read_at"])]

    def __str__(self) -> str:
        return self.title
