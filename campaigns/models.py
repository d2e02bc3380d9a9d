"""Earn rules and promotions (the loyalty engine's rules), on top of members.

Stores are referenced by slug: campaigns sits below payments and may not
import it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EarnRule(models.Model):
    """One row: how many points an order earns before bonuses."""

    points_per_unit = models.PositiveIntegerField(default=1)
    unit_amount = models.PositiveIntegerField(default=1000, help_text=_("Minor units per earning unit (1000 = NT$10)."))
    max_points_per_order = models.PositiveIntegerField(default=500)
    max_points_per_day = models.PositiveIntegerField(default=2000)

    class Meta:
        verbose_name = verbose_name_plural = _("earn rule")
        constraints = [models.CheckConstraint(condition=Q(unit_amount__gt=0), name="earn_unit_positive")]

    def __str__(self) -> str:
        return f"{self.points_per_unit} pt per {self.unit_amount} minor units"

    @classmethod
    def current(cls) -> EarnRule:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ProductBonus(models.Model):
    """Extra points on a category or a product (e.g. seasonal drinks ×2)."""

    category_slug = models.SlugField(blank=True)
    product_sku = models.CharField(max_length=40, blank=True)
    multiplier_percent = models.PositiveSmallIntegerField(default=200)
    is_active = models.BooleanField(default=True)

    class Meta:
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
