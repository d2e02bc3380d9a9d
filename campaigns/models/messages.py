"""Messages without a coupon (broadcasts) and ends-soon reminders, each sent
to a member once: the unique constraints are what make the jobs safe to rerun."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.segments import MemberSegment


class Broadcast(models.Model):
    """News, a new drink, a festive greeting: a title and text in every
    language (campaigns.translation), sent at `scheduled_at` to an audience,
    into the inbox and by email where the member agreed to offers and news."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        # The same values as Campaign.Kind: one audience rule for both (campaigns.selectors).
        SEGMENT = "segment", _("One RFM segment")
        HIGH_VALUE_AT_RISK = "clv_at_risk", _("High value, risk of leaving")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")

    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("text"), max_length=2000, blank=True)
    link = models.CharField(
        _("link"), max_length=200, blank=True, help_text=_("A page of the portal the message opens, e.g. /offers/")
    )
    audience = models.CharField(
        _("audience"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.EVERYONE,
        help_text=_(
            "Only members who agreed to offers and news receive it. A segment or the high-value audience"
            " also needs their agreement to personalised offers, as campaigns do."
        ),
    )
    segment = models.CharField(_("segment"), max_length=20, choices=MemberSegment.Segment.choices, blank=True)
    scheduled_at = models.DateTimeField(
        _("send at"),
        null=True,
        blank=True,
        help_text=_("When due inside quiet hours (points policy), it goes out when they end."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("news message")
        verbose_name_plural = _("news messages")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(audience="segment") | ~Q(segment=""), name="segment_broadcast_names_a_segment"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(scheduled_at__isnull=False), name="broadcast_scheduled_has_a_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.audience == self.Audience.SEGMENT and not self.segment:
            raise ValidationError({"segment": _("Pick the segment this message is for.")})
        if self.status == self.Status.SCHEDULED and self.scheduled_at is None:
            raise ValidationError({"scheduled_at": _("A scheduled message needs a time to go out.")})


class BroadcastDelivery(models.Model):
    """One member sent one broadcast (inbox, and email if `by_email`)."""

    broadcast = models.ForeignKey(
        Broadcast, verbose_name=_("news message"), on_delete=models.CASCADE, related_name="deliveries"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="broadcast_deliveries"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    by_email = models.BooleanField(_("by email"), default=False)

    class Meta:
        verbose_name = _("message delivery")
        verbose_name_plural = _("message deliveries")
        constraints = [models.UniqueConstraint(fields=["broadcast", "member"], name="broadcast_once_per_member")]

    def __str__(self) -> str:
        return f"{self.broadcast_id} → {self.member_id}"


class Reminder(models.Model):
    """A member told that something of theirs ends soon: a coupon, a reward's
    coupon, a lot of points, a promotion. Once per (member, kind, object)."""

    class Kind(models.TextChoices):
        COUPON = "coupon", _("Coupon expires")
        REWARD = "reward", _("Reward expires")
        POINTS = "points", _("Points expire")
        PROMOTION = "promotion", _("Promotion ends")

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The coupon's, the points lot's or the promotion's primary key.
    object_id = models.BigIntegerField(_("object"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["member", "kind", "object_id"], name="reminder_once_per_item")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.object_id}"
