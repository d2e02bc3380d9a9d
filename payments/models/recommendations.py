"""Recommendations for members (issue 17, item 7): what the nightly job
(payments.recommendations.compute) worked out for each member who agreed to
personalised offers, and since when each "you may like" item was first
recommended — the exposure the holdout comparison counts from."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Recommendation(models.Model):
    """One item for one member: their usual (with the options they usually
    take) or an item they may like. Replaced as a whole by each nightly run.
    Holdout members get rows too, never shown, so that what they would have
    been shown can be compared with what they bought."""

    class Kind(models.TextChoices):
        USUAL = "usual", _("Your usual")
        LIKE = "like", _("You may like")

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "payments.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    # Usual: how many the member bought in the window; like: the lift score.
    score = models.FloatField(_("score"), default=0)
    # The usual's options, as ModifierOption ids (empty for "you may like").
    modifier_ids = models.JSONField(_("options"), default=list, blank=True)
    holdout = models.BooleanField(_("holdout"), default=False)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["member", "kind", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["member", "kind", "product"], name="recommendation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.product_id}"


class RecommendationExposure(models.Model):
    """When an item was first recommended to a member ("you may like"),
    shown (or, for the holdout, held back) from then on: exposure is
    "computed and eligible", recorded by the nightly job, not per page view."""

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "payments.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    holdout = models.BooleanField(_("holdout"), default=False)
    since = models.DateTimeField(_("first recommended"))

    class Meta:
        verbose_name = _("recommendation exposure")
        verbose_name_plural = _("recommendation exposures")
        constraints = [models.UniqueConstraint(fields=["member", "product"], name="exposure_once")]
        indexes = [models.Index(fields=["since"], name="exposure_since")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.product_id} {self.since:%Y-%m-%d}"


class RecommendationRun(models.Model):
    """One nightly run: what it covered and how long it took."""

    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    members = models.PositiveIntegerField(_("members with recommendations"), default=0)
    holdout_members = models.PositiveIntegerField(_("of whom in the holdout"), default=0)
    baskets = models.PositiveIntegerField(_("member histories used"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("recommendation run")
        verbose_name_plural = _("recommendation runs")
        ordering = ["-computed_at"]

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}"


class ProductPair(models.Model):
    """For each item, the items that go with it most (highest lift first),
    from the last nightly run: what "you may like" is built from, and what
    the report shows a manager as "what goes with what"."""

    product = models.ForeignKey(
        "payments.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    other = models.ForeignKey(
        "payments.Product", verbose_name=_("goes with"), on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    lift = models.FloatField(_("lift"))
    members_together = models.PositiveIntegerField(_("members who buy both"))

    class Meta:
        verbose_name = _("product pair")
        verbose_name_plural = _("product pairs")
        ordering = ["product", "rank"]
        constraints = [models.UniqueConstraint(fields=["product", "other"], name="product_pair_once")]

    def __str__(self) -> str:
        return f"{self.product_id} + {self.other_id}"
