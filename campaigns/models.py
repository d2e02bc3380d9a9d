"""Earn rules and promotions (the loyalty engine's rules), on top of members.

Stores are referenced by slug: campaigns sits below payments and may not
import it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.rulecache import RuleCache


class EarnRule(models.Model):
    """One row: how many points an order earns before bonuses."""

    points_per_unit = models.PositiveIntegerField(default=1)
    unit_amount = models.PositiveIntegerField(default=1000, help_text=_("Spend that earns the points above."))
    max_points_per_order = models.PositiveIntegerField(default=500)
    max_points_per_day = models.PositiveIntegerField(default=2000)

    class Meta:
        verbose_name = verbose_name_plural = _("earn rule")
        constraints = [models.CheckConstraint(condition=Q(unit_amount__gt=0), name="earn_unit_positive")]

    def __str__(self) -> str:
        return f"{self.points_per_unit} pt per {format_money(self.unit_amount)}"

    @classmethod
    def current(cls) -> EarnRule:
        """The rule row, memoised per process (see cafe_loyalty.core.rulecache);
        treat it as read-only."""
        return _earn_rule_cache.get()


class ProductBonus(models.Model):
    """Extra points on a category or a product (e.g. seasonal drinks ×2)."""

    category_slug = models.SlugField(blank=True)
    product_sku = models.CharField(max_length=40, blank=True)
    multiplier_percent = models.PositiveSmallIntegerField(default=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("product bonus")
        verbose_name_plural = _("product bonuses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(category_slug="", product_sku=""), name="bonus_targets_category_or_product"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_sku or self.category_slug} ×{self.multiplier_percent / 100:g}"


class Promotion(models.Model):
    """A limited-time points promotion: multiplier and/or flat bonus, within a
    date window, on some weekdays and hours, at some stores. Non-stackable
    promotions compete (the best one applies); stackable ones add on top."""

    name = models.CharField(max_length=100)
    multiplier_percent = models.PositiveSmallIntegerField(default=100, help_text=_("200 = double points"))
    bonus_points = models.PositiveIntegerField(default=0)
    weekdays = models.CharField(
        max_length=13, blank=True, help_text=_("ISO weekdays, e.g. '2' for Tuesday; empty = every day")
    )
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    store_slugs = models.CharField(
        max_length=300, blank=True, help_text=_("Comma-separated store slugs; empty = all stores")
    )
    stackable = models.BooleanField(default=False)
    is_member_day = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


_earn_rule_cache = RuleCache(lambda: EarnRule.objects.get_or_create(pk=1)[0], models=(EarnRule,))
_bonuses_cache = RuleCache(lambda: list(ProductBonus.objects.filter(is_active=True)), models=(ProductBonus,))
_promotions_cache = RuleCache(lambda: list(Promotion.objects.filter(is_active=True)), models=(Promotion,))


def active_product_bonuses() -> list[ProductBonus]:
    """Active product bonuses, memoised per process; read-only."""
    return _bonuses_cache.get()


def active_promotions() -> list[Promotion]:
    """Active promotions (whatever their dates), memoised per process; read-only."""
    return _promotions_cache.get()


# --- Coupons and rewards ---------------------------------------------------------


class CouponTemplate(models.Model):
    class Kind(models.TextChoices):
        PERCENT_OFF = "percent_off", _("Percent off")
        AMOUNT_OFF = "amount_off", _("Amount off")
        FREE_ITEM = "free_item", _("Free item")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y free")

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    percent_off = models.PositiveSmallIntegerField(default=0)
    amount_off = models.BigIntegerField(default=0)
    buy_quantity = models.PositiveSmallIntegerField(default=0)
    get_quantity = models.PositiveSmallIntegerField(default=0)
    scope_category = models.SlugField(blank=True, help_text=_("Only items of this category (empty: any)"))
    scope_sku = models.CharField(max_length=40, blank=True, help_text=_("Only this product (empty: any)"))
    min_spend = models.BigIntegerField(default=0)
    valid_days = models.PositiveSmallIntegerField(default=30, help_text=_("Days an issued coupon stays valid"))
    per_member_limit = models.PositiveSmallIntegerField(default=0, help_text=_("0 = no limit"))
    total_limit = models.PositiveIntegerField(default=0, help_text=_("0 = no limit"))
    stackable = models.BooleanField(default=False, help_text=_("May be combined with other coupons on one order"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(percent_off__lte=100), name="coupon_percent_at_most_100"),
            models.CheckConstraint(
                condition=Q(amount_off__gte=0, min_spend__gte=0), name="coupon_amounts_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """An issued coupon with its own code; redeemed at most once. An open
    order holds it (`reserved_for`, the order's reference) from when it is
    applied until the order is paid, the coupon is taken off, or the order is
    voided; a hold lapses after campaigns.coupons.COUPON_HOLD, so a coupon on
    an abandoned order is never locked for good."""

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="coupons")
    code = models.CharField(max_length=16, unique=True)
    source = models.CharField(max_length=30, default="manual")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    order_reference = models.CharField(max_length=100, blank=True)
    discount = models.BigIntegerField(default=0)
    reserved_for = models.CharField(max_length=100, blank=True, help_text=_("The open order holding this coupon"))
    reserved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at"]
        indexes = [models.Index(fields=["member", "redeemed_at"]), models.Index(fields=["reserved_for"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved_for="", reserved_at__isnull=True)
                | (~Q(reserved_for="") & Q(reserved_at__isnull=False)),
                name="coupon_hold_names_order_and_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.template.name} ({self.code})"


class Reward(models.Model):
    """The catalogue: members turn points into a coupon."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    points_cost = models.PositiveIntegerField()
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["points_cost"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points_cost} pts)"


# --- Referrals, birthdays, feedback -------------------------------------------------


class ReferralCode(models.Model):
    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(max_length=12, unique=True)

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the friend's first order")
        REWARDED = "rewarded", _("Rewarded")
        REVERSED = "reversed", _("Reversed (order refunded)")

    referrer = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="referrals_made")
    friend = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="referred_by")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    device_id = models.CharField(max_length=64, blank=True)
    qualifying_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rewarded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.friend_id} ({self.status})"


class BirthdayGrant(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="birthday_grants")
    year = models.PositiveSmallIntegerField()
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="birthday_once_per_year")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}"


class OrderFeedback(models.Model):
    """A member's rating of one of their orders. A manager may reply (the
    member reads it in their inbox); a low rating opens a follow-up that stays
    on the admin's front page until someone marks it handled."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="feedback")
    order_reference = models.CharField(max_length=100)
    store_slug = models.SlugField(_("store"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)
    reply = models.TextField(
        _("reply"), blank=True, max_length=1000, help_text=_("Saving a new reply sends it to the member's inbox.")
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replied by"),
    )
    # Set when the rating is given (campaigns.feedback.FOLLOW_UP_AT_MOST), so
    # changing that rule later does not reopen old ratings.
    follow_up = models.BooleanField(_("needs a follow-up"), default=False)
    follow_up_handled_at = models.DateTimeField(_("follow-up handled at"), null=True, blank=True)
    follow_up_handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up handled by"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        indexes = [
            models.Index(
                fields=["-created_at"],
                condition=Q(follow_up=True, follow_up_handled_at__isnull=True),
                name="feedback_follow_up_open",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["member", "order_reference"], name="feedback_once_per_order"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.order_reference}"


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
    coupon_template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="campaigns")
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

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="campaign_entries")
    group = models.CharField(max_length=10, choices=Group.choices)
    entered_at = models.DateTimeField(default=timezone.now)
    coupon = models.ForeignKey(Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-entered_at"]
        verbose_name_plural = _("campaign entries")
        constraints = [models.UniqueConstraint(fields=["campaign", "member"], name="campaign_entry_once")]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.member_id} ({self.group})"
