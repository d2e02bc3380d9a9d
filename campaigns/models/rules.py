"""Earn rules, product bonuses and promotions (the loyalty engine's rules)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.rulecache import RuleCache


class EarnRule(models.Model):
    """One row: how many points an order earns before bonuses."""

    points_per_unit = models.PositiveIntegerField(_("points per unit"), default=1)
    unit_amount = models.PositiveIntegerField(
        _("spend per unit"), default=1000, help_text=_("Spend that earns the points above.")
    )
    max_points_per_order = models.PositiveIntegerField(_("most points per order"), default=500)
    max_points_per_day = models.PositiveIntegerField(_("most points per day"), default=2000)

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

    category_slug = models.SlugField(_("category (slug)"), blank=True)
    product_sku = models.CharField(_("product (SKU)"), max_length=40, blank=True)
    multiplier_percent = models.PositiveSmallIntegerField(_("points multiplier %"), default=200)
    is_active = models.BooleanField(_("active"), default=True)

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


# A promotion's holdout: at most half its members, so most still get it.
MAX_HOLDOUT_PERCENT = 50


class Promotion(models.Model):
    """A limited-time points promotion: multiplier and/or flat bonus, within a
    date window, on some weekdays and hours, at some stores. Non-stackable
    promotions compete (the best one applies); stackable ones add on top."""

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    multiplier_percent = models.PositiveSmallIntegerField(
        _("points multiplier %"), default=100, help_text=_("200 = double points")
    )
    bonus_points = models.PositiveIntegerField(_("bonus points"), default=0)
    weekdays = models.CharField(
        _("weekdays"), max_length=13, blank=True, help_text=_("ISO weekdays, e.g. '2' for Tuesday; empty = every day")
    )
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    store_slugs = models.CharField(
        _("stores (slugs)"), max_length=300, blank=True, help_text=_("Comma-separated store slugs; empty = all stores")
    )
    stackable = models.BooleanField(_("stackable"), default=False)
    is_member_day = models.BooleanField(_("member day"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout %"),
        default=0,
        validators=[MaxValueValidator(MAX_HOLDOUT_PERCENT)],
        help_text=_(
            "Share of members, picked at random and kept the same, who do not get this promotion (0–50), so "
            "the offers report can tell the visits it brought from those that would have happened anyway. "
            "0 = everyone gets it."
        ),
    )

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=MAX_HOLDOUT_PERCENT), name="promotion_holdout_at_most_50"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stores(self) -> list[str]:
        """The slugs of the stores it runs at; empty: every store."""
        return [slug.strip() for slug in self.store_slugs.split(",") if slug.strip()]


class PromotionAward(models.Model):
    """The extra points one promotion gave one paid order (the offers report's
    cost of a promotion): written with the order's points, never changed. A
    later refund takes points back from the order, not from this record."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.PROTECT, related_name="awards"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="promotion_awards"
    )
    reference = models.CharField(_("order reference"), max_length=100)
    points = models.PositiveIntegerField(_("extra points"))
    awarded_at = models.DateTimeField(_("awarded at"), default=timezone.now)

    class Meta:
        verbose_name = _("promotion award")
        verbose_name_plural = _("promotion awards")
        indexes = [models.Index(fields=["promotion", "awarded_at"])]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "reference"], name="promotion_award_once_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} +{self.points} ({self.reference})"


_earn_rule_cache = RuleCache(lambda: EarnRule.objects.get_or_create(pk=1)[0], models=(EarnRule,))
_bonuses_cache = RuleCache(lambda: list(ProductBonus.objects.filter(is_active=True)), models=(ProductBonus,))
_promotions_cache = RuleCache(lambda: list(Promotion.objects.filter(is_active=True)), models=(Promotion,))


def active_product_bonuses() -> list[ProductBonus]:
    """Active product bonuses, memoised per process; read-only."""
    return _bonuses_cache.get()


def active_promotions() -> list[Promotion]:
    """Active promotions (whatever their dates), memoised per process; read-only."""
    return _promotions_cache.get()
