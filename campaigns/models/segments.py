"""Member segments (RFM) and lifecycle campaigns with their entries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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

    member = models.OneToOneField(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="segment"
    )
    last_visit_at = models.DateTimeField(_("last visit at"))
    recency_days = models.PositiveIntegerField(_("days since last visit"), help_text=_("Days since the last visit"))
    frequency = models.PositiveIntegerField(_("visits"), help_text=_("Visits in the last 12 months"))
    monetary = models.BigIntegerField(_("spend"), help_text=_("Spend in the last 12 months"))
    r_score = models.PositiveSmallIntegerField(_("R score"))
    f_score = models.PositiveSmallIntegerField(_("F score"))
    m_score = models.PositiveSmallIntegerField(_("M score"))
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, db_index=True)
    computed_at = models.DateTimeField(_("computed at"))

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

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
        help_text=_(
            "Welcome: members who joined in the last N days. Win-back: members away for at least N days."
            " Segment: members now in one RFM segment. High value, risk of leaving: members in the top quarter"
            " by 12-month value who are more likely gone than still coming (the nightly CLV scores)."
            " All but welcome campaigns reach only members who agreed to personalised offers."
        ),
    )
    days = models.PositiveSmallIntegerField(
        _("days"),
        default=30,
        help_text=_("Welcome: joined within this many days. Win-back: no visit for this many days."),
    )
    segment = models.CharField(_("segment"), max_length=20, choices=MemberSegment.Segment.choices, blank=True)
    coupon_template = models.ForeignKey(
        "campaigns.CouponTemplate",
        verbose_name=_("coupon template"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    message = models.CharField(
        _("message"), max_length=160, blank=True, help_text=_("Shown with the coupon in the member's inbox (optional).")
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout %"),
        default=10,
        help_text=_("Share of eligible members who get nothing, to measure the effect (0–50)."),
    )
    conversion_days = models.PositiveSmallIntegerField(
        _("conversion days"),
        default=14,
        help_text=_("A member converts by visiting within this many days of entering."),
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

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


class CampaignVariant(models.Model):
    """One arm of an A/B test: its own coupon and/or message. A campaign with
    no variants is one implicit variant (its own coupon and message), so
    campaigns made before variants existed run and report as they did."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="variants"
    )
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=40, help_text=_("For example: A, B"))
    coupon_template = models.ForeignKey(
        "campaigns.CouponTemplate",
        verbose_name=_("coupon template"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: the campaign's coupon."),
    )
    message = models.CharField(_("message"), max_length=160, blank=True, help_text=_("Empty: the campaign's message."))
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, help_text=_("Share of the sent members: weights 1 and 1 split them half and half.")
    )

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["campaign", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="campaign_variant_weight_positive"),
            models.UniqueConstraint(fields=["campaign", "name"], name="campaign_variant_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignEntry(models.Model):
    """A member entering a campaign, once: in the treatment group (with the
    coupon issued) or in the holdout group (nothing sent)."""

    class Group(models.TextChoices):
        TREATMENT = "treatment", _("Treatment")
        HOLDOUT = "holdout", _("Holdout")

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="entries"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="campaign_entries"
    )
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    coupon = models.ForeignKey(
        "campaigns.Coupon", verbose_name=_("coupon"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Empty for the holdout and for campaigns without variants. PROTECT: a
    # variant that reached members stays, or its results would be lost.
    variant = models.ForeignKey(
        "campaigns.CampaignVariant",
        verbose_name=_("variant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )

    class Meta:
        verbose_name = _("campaign entry")
        ordering = ["-entered_at"]
        verbose_name_plural = _("campaign entries")
        constraints = [models.UniqueConstraint(fields=["campaign", "member"], name="campaign_entry_once")]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.member_id} ({self.group})"
