"""The sales report's nightly summary (issue #17): one row per programme day
(TIME_ZONE), store and hour, per day, store and product, and per day, store
and category, written by `summarise_sales` from the same queries the report
runs on live orders (payments.selectors.sales), so a summarised day reads the
same figures as it did live. SalesSummaryDay marks a day as summarised: the
report reads those days from here and every other day from orders."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SalesSummaryDay(models.Model):
    day = models.DateField(_("day"), unique=True)
    summarised_at = models.DateTimeField(_("summarised at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("summarised sales day")
        verbose_name_plural = _("summarised sales days")

    def __str__(self) -> str:
        return f"{self.day}"


class DailySales(models.Model):
    """Orders paid in one hour of one day at one store."""

    day = models.DateField(_("day"))
    store = models.ForeignKey("payments.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    hour = models.PositiveSmallIntegerField(_("hour"))
    orders = models.PositiveIntegerField(_("orders"))
    items = models.PositiveIntegerField(_("items"))
    sales = models.BigIntegerField(_("sales"))
    refunds = models.BigIntegerField(_("refunds"))

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        constraints = [models.UniqueConstraint(fields=["day", "store", "hour"], name="daily_sales_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.store_id} {self.hour}"


class DailyLineSales(models.Model):
    """Order lines of one day at one store, summed per product or category."""

    day = models.DateField(_("day"))
    store = models.ForeignKey("payments.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    items = models.PositiveIntegerField(_("items"))
    revenue = models.BigIntegerField(_("revenue"))
    orders = models.PositiveIntegerField(_("orders"))

    class Meta:
        abstract = True


class DailyProductSales(DailyLineSales):
    product = models.ForeignKey(
        "payments.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("daily product sales")
        verbose_name_plural = _("daily product sales")
        constraints = [models.UniqueConstraint(fields=["day", "store", "product"], name="daily_product_sales_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.store_id} {self.product_id}"


class DailyCategorySales(DailyLineSales):
    """`orders` counts an order once however many of the category's products it had."""

    category = models.ForeignKey(
        "payments.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("daily category sales")
        verbose_name_plural = _("daily category sales")
        constraints = [models.UniqueConstraint(fields=["day", "store", "category"], name="daily_category_sales_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.store_id} {self.category_id}"
