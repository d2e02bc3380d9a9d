"""Coupons, the rewards catalogue, referrals, birthday grants and order feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# --- Coupons and rewards ---------------------------------------------------------


class CouponTemplate(models.Model):
    class Kind(models.TextChoices):
        PERCENT_OFF = "percent_off", _("Percent off")
        AMOUNT_OFF = "amount_off", _("Amount off")
        FREE_ITEM = "free_item", _("Free item")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y free")

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    percent_off = models.PositiveSmallIntegerField(_("percent off"), default=0)
    amount_off = models.BigIntegerField(_("amount off"), default=0)
    buy_quantity = models.PositiveSmallIntegerField(_("buy quantity"), default=0)
    get_quantity = models.PositiveSmallIntegerField(_("free quantity"), default=0)
    scope_category = models.SlugField(
        _("only this category"), blank=True, help_text=_("Only items of this category (empty: any)")
    )
    scope_sku = models.CharField(
        _("only this product (SKU)"), max_length=40, blank=True, help_text=_("Only this product (empty: any)")
    )
    min_spend = models.BigIntegerField(_("minimum spend"), default=0)
    valid_days = models.PositiveSmallIntegerField(
        _("valid days"), default=30, help_text=_("Days an issued coupon stays valid")
    )
    per_member_limit = models.PositiveSmallIntegerField(_("limit per member"), default=0, help_text=_("0 = no limit"))
    total_limit = models.PositiveIntegerField(_("total limit"), default=0, help_text=_("0 = no limit"))
    stackable = models.BooleanField(
        _("stackable"), default=False, help_text=_("May be combined with other coupons on one order")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
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

    template = models.ForeignKey(
        "campaigns.CouponTemplate", verbose_name=_("coupon template"), on_delete=models.PROTECT, related_name="coupons"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="coupons"
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    source = models.CharField(_("source"), max_length=30, default="manual")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    order_reference = models.CharField(_("order reference"), max_length=100, blank=True)
    discount = models.BigIntegerField(_("discount"), default=0)
    reserved_for = models.CharField(
        _("held for order"), max_length=100, blank=True, help_text=_("The open order holding this coupon")
    )
    reserved_at = models.DateTimeField(_("held since"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
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

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    points_cost = models.PositiveIntegerField(_("points cost"))
    template = models.ForeignKey(
        "campaigns.CouponTemplate", verbose_name=_("coupon template"), on_delete=models.PROTECT
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points_cost} pts)"


# --- Referrals, birthdays, feedback -------------------------------------------------


class ReferralCode(models.Model):
    member = models.OneToOneField(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(_("code"), max_length=12, unique=True)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the friend's first order")
        REWARDED = "rewarded", _("Rewarded")
        REVERSED = "reversed", _("Reversed (order refunded)")

    referrer = models.ForeignKey(
        "members.Member", verbose_name=_("referrer"), on_delete=models.PROTECT, related_name="referrals_made"
    )
    friend = models.OneToOneField(
        "members.Member", verbose_name=_("friend"), on_delete=models.PROTECT, related_name="referred_by"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    qualifying_reference = models.CharField(_("qualifying order"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    rewarded_at = models.DateTimeField(_("rewarded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.friend_id} ({self.status})"


class BirthdayGrant(models.Model):
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="birthday_grants"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("birthday grant")
        verbose_name_plural = _("birthday grants")
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="birthday_once_per_year")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}"


class OrderFeedback(models.Model):
    """A member's rating of one of their orders. A manager may reply (the
    member reads it in their inbox); a low rating opens a follow-up that stays
    on the admin's front page until someone marks it handled."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="feedback"
    )
    order_reference = models.CharField(_("order reference"), max_length=100)
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
