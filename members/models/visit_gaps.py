"""The repurchase report's nightly summary (issue #17): the days between
visits, written by members.visit_gaps from the same expressions the report
uses on live visits, so a summarised day reads as it did live.

- VisitGap: one row per visit on a summarised day, the facts the report
  counts by, in the member's whole history and in their visits to that store:
  the days since the visit before (0 the same day, none for the first ever)
  and the days to the next later day (none while there is none; kept up to
  date for the longest window after the visit, which is all a window needs).
- VisitGapCount: those rows counted per day, history, store, tier and facts:
  what the report reads (a few hundred rows a day instead of thousands).
- VisitGapDay marks a day as summarised; every other day (always today) is
  read from visits.

Days are day numbers (cafe_loyalty.core.clock.day_number), so the report
compares them with integer arithmetic on SQLite and PostgreSQL alike."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VisitGapDay(models.Model):
    day = models.DateField(_("day"), unique=True)
    summarised_at = models.DateTimeField(_("summarised at"), default=timezone.now)
    # The newest visit when the day was written, every one up to it committed
    # (members.visit_gaps): a visit after it dated on a summarised day (an
    # offline sale synced late) makes the next run rewrite it.
    last_visit = models.BigIntegerField(_("last visit"), default=0)

    class Meta:
        verbose_name = _("summarised visit gaps day")
        verbose_name_plural = _("summarised visit gaps days")

    def __str__(self) -> str:
        return f"{self.day}"


class VisitGap(models.Model):
    visit = models.OneToOneField(
        "members.Visit", verbose_name=_("visit"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+")
    day = models.IntegerField(_("day number"))
    store_slug = models.SlugField(_("store (slug)"), blank=True)
    # The member's tier when the row was written, kept in step with
    # Member.tier by each night's run (members whose tier changed since).
    tier = models.ForeignKey(
        "members.Tier", verbose_name=_("tier"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gap = models.IntegerField(_("days since the visit before"), null=True)
    next = models.IntegerField(_("days to the next later day"), null=True)
    store_gap = models.IntegerField(_("days since the visit before, this store"), null=True)
    store_next = models.IntegerField(_("days to the next later day, this store"), null=True)

    class Meta:
        verbose_name = _("visit gap")
        verbose_name_plural = _("visit gaps")
        indexes = [
            models.Index(fields=["member", "day"], name="visit_gap_member_day"),
            models.Index(fields=["day"], name="visit_gap_day"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on day {self.day}"


class VisitGapCount(models.Model):
    """Visits of one summarised day with the same facts, counted. `in_store`:
    the facts are within the member's visits to `store_slug` (else their
    whole history, and `store_slug` is empty). `back_within`: the shortest of
    the report's windows the next later day falls in (none: not within any,
    or not asked for: a repeat visit the same day is never a first one)."""

    day = models.IntegerField(_("day number"))
    in_store = models.BooleanField(_("within one store"))
    store_slug = models.SlugField(_("store (slug)"), blank=True)
    tier = models.ForeignKey(
        "members.Tier", verbose_name=_("tier"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gap = models.IntegerField(_("days since the visit before"), null=True)
    back_within = models.IntegerField(_("back within (days)"), null=True)
    visits = models.PositiveIntegerField(_("visits"))

    class Meta:
        verbose_name = _("visit gap count")
        verbose_name_plural = _("visit gap counts")
        indexes = [models.Index(fields=["in_store", "day"], name="visit_gap_count_day")]

    def __str__(self) -> str:
        return f"day {self.day}: {self.visits}"
