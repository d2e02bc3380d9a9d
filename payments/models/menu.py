"""The menu: categories, products and their modifier options."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    # The menu is translated (payments/translation.py): modeltranslation swaps
    # in its MultilingualManager, which django-stubs resolves only if mypy loads it.
    import modeltranslation.manager  # noqa: F401


class Category(models.Model):
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=60)
    slug = models.SlugField(_("slug"), unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ModifierOption(models.Model):
    """One choice in a group (Size: M +NT$15; Milk: oat +NT$15; Extra shot +NT$20)."""

    group = models.CharField(_("group"), max_length=30)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=40)
    price = models.BigIntegerField(_("price"), default=0)
    is_default = models.BooleanField(_("default"), default=False, help_text=_("Chosen when the product is added"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Sold out at these stores (oat milk ran out), like Product.unavailable_at.
    unavailable_at = models.ManyToManyField(
        "payments.Store", blank=True, related_name="unavailable_modifiers", verbose_name=_("sold out at")
    )

    class Meta:
        verbose_name = _("modifier option")
        verbose_name_plural = _("modifier options")
        ordering = ["group", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="modifier_unique_in_group")]

    def __str__(self) -> str:
        return f"{self.group}: {self.name}"


class Product(models.Model):
    category = models.ForeignKey(
        "payments.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=80)
    sku = models.SlugField(_("SKU"), max_length=40, unique=True)
    price = models.BigIntegerField(_("price"), help_text=_("Before modifiers"))
    image = models.ImageField(_("image"), upload_to="products/", blank=True)
    modifiers = models.ManyToManyField(
        "payments.ModifierOption", verbose_name=_("modifiers"), blank=True, related_name="products"
    )
    quick_key = models.PositiveSmallIntegerField(
        _("quick key"), null=True, blank=True, help_text=_("1–9: keyboard shortcut at the till")
    )
    unavailable_at = models.ManyToManyField(
        "payments.Store", verbose_name=_("sold out at"), blank=True, related_name="unavailable_products"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["category__position", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_non_negative")]

    def __str__(self) -> str:
        return self.name
