"""The retention report's nightly summary (issue #17): one row per member and
closed month they visited in, with the two facts the report counts by — the
month of the member's first visit ever, and whether they also came the month
before. Written by members.visit_months from the same queries the report runs
on live visits, so a summarised month reads as it did live. VisitSummaryMonth
marks a month as summarised; every other month (always the current one) is
read from visits."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SummarisedMonth(models.Model):
    """Marks a month as summarised (by a nightly job): a report reads that
    month from the summary, every other month from the rows themselves."""

    month = models.DateField(_("month"), unique=True)  # its first day, in the programme's time zone
    summarised_at = models.DateTimeField(_("summarised at"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class VisitSummaryMonth(SummarisedMonth):
    class Meta:
        verbose_name = _("summarised visits month")
        verbose_name_plural = _("summarised visits months")


class MemberMonth(models.Model):
    """A member's visits in one month (only months with a visit have a row)."""

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    visits = models.PositiveIntegerField(_("visits"))
    spend = models.BigIntegerField(_("spend"))
    first_month = models.DateField(_("month of first visit"))
    came_month_before = models.BooleanField(_("came the month before"))

    class Meta:
        verbose_name = _("member month")
        verbose_name_plural = _("member months")
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="member_month_once")]
        indexes = [models.Index(fields=["month", "first_month", "came_month_before"], name="member_month_counts")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"
