"""Each member's predicted value (CLV) and churn risk, and the fits they come
from; written only by `manage.py compute_clv` (campaigns.clv)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClvFit(models.Model):
    """One nightly fit: the BG/NBD and Gamma-Gamma parameters (times in
    weeks, money in minor units) and how well the model predicted a held-out
    period (`calibration`: fitted on visits before the holdout, predicted
    visits in it against the visits members actually made)."""

    fitted_at = models.DateTimeField(_("fitted at"), db_index=True)
    members = models.PositiveIntegerField(_("members scored"))
    r = models.FloatField()
    alpha = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    p = models.FloatField()
    q = models.FloatField()
    gamma = models.FloatField()
    holdout_days = models.PositiveSmallIntegerField(_("holdout days"))
    # {"members", "predicted", "actual", "groups": [{"label", "members", "predicted", "actual"}]};
    # null when there was too little history before the holdout to fit on.
    calibration = models.JSONField(_("calibration"), null=True, blank=True)

    class Meta:
        verbose_name = _("CLV model fit")
        verbose_name_plural = _("CLV model fits")
        ordering = ["-fitted_at"]

    def __str__(self) -> str:
        return f"{self.fitted_at:%Y-%m-%d %H:%M} ({self.members})"


class MemberValue(models.Model):
    """A member's scores from the latest fit. Only members who have visited have one."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="value")
    p_alive = models.FloatField(_("probability still a customer"))
    expected_visits_90d = models.FloatField(_("expected visits in 90 days"))
    clv_12m = models.BigIntegerField(_("12-month value"), help_text=_("Expected spend over the next 12 months"))
    high_value_at_risk = models.BooleanField(_("high value, risk of leaving"), default=False, db_index=True)
    fitted_at = models.DateTimeField(_("fitted at"))

    class Meta:
        verbose_name = _("member value")
        verbose_name_plural = _("member values")
        ordering = ["-clv_12m"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(p_alive__gte=0, p_alive__lte=1), name="member_value_p_alive_is_probability"
            ),
            models.CheckConstraint(condition=models.Q(clv_12m__gte=0), name="member_value_clv_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fitted_at:%Y-%m-%d}" if self.fitted_at else ""
