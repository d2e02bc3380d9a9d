"""The liability report's nightly summary of the points ledger (issue #17):
per closed month and kind, the points entries' sum, written by
members.points_months from the query the report runs on live entries, so a
summarised month reads as it did live. PointsSummaryMonth marks a month as
summarised; every other month (always the current one) is read from entries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models.visit_summary import SummarisedMonth


class PointsSummaryMonth(SummarisedMonth):
    class Meta:
        verbose_name = _("summarised points month")
        verbose_name_plural = _("summarised points months")


class PointsMonth(models.Model):
    """The points entries of one kind made in one month, summed (signed, as the entries)."""

    month = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=10)
    points = models.BigIntegerField(_("points"))

    class Meta:
        verbose_name = _("points month")
        verbose_name_plural = _("points months")
        constraints = [models.UniqueConstraint(fields=["month", "kind"], name="points_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.points:+d}"
