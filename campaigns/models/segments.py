"""Member segments (RFM) and lifecycle campaigns with their entries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Segments and lifecycle campaigns ----------------------------------------------


class MemberSegment(models.Model):
    """A member's RFM scores and segment, recomputed by `compute_segments`
    (a periodic job). Only members who have ever visited have one."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", _("Champions")
        LOYAL = "loyal", _("Loyal")
        POTENTIAL = "potential", _("Potential loyalists")
        NEW = "new", _("New")
        NEEDS_ATTENTION = "needs_attention", _("Need attention")
        AT_RISK = "at_risk", _("At risk")
        CANT_LOSE = "cant_lose", _("Can't lose them")
        HIBERNATING = "hibernating", _("Hibernating")
        LOST = "lost", _("Lost")

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="segment")
    last_visit_at = models.DateTimeField()
    recency_days = models.PositiveIntegerField(help_text=_("Days since the last visit"))
    frequency = models.PositiveIntegerField(help_text=_("Visits in the last 12 months"))
    monetary = models.BigIntegerField(help_text=_("Spend in the last 12 months"))
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=20, choices=Segment.choices, db_index=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("member segment")
        verbose_name_plural = _("member segments")
        ordering = ["segment", "-monetary"]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.get_segment_display()} (R{self.r_score} F{self.f_score} M{self.m_score})"


class Campaign(models.Model):
    """A lifecycle campaign: who gets which coupon, with a holdout group that
    gets nothing so the campaign's effect can be measured."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        WIN_BACK = "win_back", _("Win-back")
        SEGMENT = "segment", _("Segment")
        HIGH_VALUE_AT_RISK = "clv_at_risk", _("High value, risk of leaving")

    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        help_text=_(
            "Welcome: members who joined in the last N days. Win-back: members away for at least N days."
            " Segment: members now in one RFM segment. Win-back and segment campaigns reach only members"
            " who agreed to personalised offers."
        ),
    )
    days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Welcome: joined within this many days. Win-back: no visit for this many days.")
    )
    segment = models.CharField(max_length=20, choices=MemberSegment.Segment.choices, blank=True)
    coupon_template = models.ForeignKey("campaigns.CouponTemplate", on_delete=models.PROTECT, related_name="campaigns")
    message = models.CharField(
        max_length=160, blank=True, help_text=_("Shown with the coupon in the member's inbox (optional).")
    )
    holdout_percent = models.PositiveSmallIntegerField(
        default=10, help_text=_("Share of eligible members who get nothing, to measure the effect (0–50).")
    )
    conversion_days = models.PositiveSmallIntegerField(
        default=14, help_text=_("A member converts by visiting within this many days of entering.")
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_percent__lte=50), name="campaign_holdout_at_most_50"),
            models.CheckConstraint(
                condition=~Q(kind="segment") | ~Q(segment=""), name="segment_campaign_names_a_segment"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignEntry(models.Model):
    """A member entering a campaign, once: in the treatment group (with the
    coupon issued) or in the holdout group (nothing sent)."""

    class Group(models.TextChoices):
        TREATMENT = "treatment", _("Treatment")
        HOLDOUT = "holdout", _("Holdout")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="entries")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="campaign_entries")
    group = models.CharField(max_length=10, choices=Group.choices)
    entered_at = models.DateTimeField(default=timezone.now)
    coupon = models.ForeignKey("campaigns.Coupon", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("campaign entry")
        ordering = ["-entered_at"]
        verbose_name_plural = _("campaign entries")
        constraints = [models.UniqueConstraint(fields=["campaign", "member"], name="campaign_entry_once")]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.member_id} ({self.group})"
