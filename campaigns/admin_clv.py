"""The CLV scores in the admin: read-only on the member page (an inline the
top layer adds to the member admin), as columns in the segment list, and the
nightly fits with their holdout calibration."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.admin_records import MoneyFieldsMixin, ReadOnlyAdmin
from cafe_loyalty.core.money import format_money
from campaigns.models import ClvFit, MemberSegment, MemberValue


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


class MemberValueInline(MoneyFieldsMixin, admin.StackedInline):
    model = MemberValue
    can_delete = False
    money_fields = ["clv_12m"]
    fields = ["alive", "visits_90d", "clv_12m", "high_value_at_risk", "fitted_at"]
    readonly_fields = ["alive", "visits_90d", "clv_12m", "high_value_at_risk", "fitted_at"]
    verbose_name = verbose_name_plural = _("Predicted value (CLV)")

    @admin.display(description=_("probability still a customer"))
    def alive(self, obj: MemberValue) -> str:
        return percent(obj.p_alive)

    @admin.display(description=_("expected visits in 90 days"))
    def visits_90d(self, obj: MemberValue) -> str:
        # The admin also renders an unsaved, empty row (its "add another" template).
        return "—" if obj.expected_visits_90d is None else f"{obj.expected_visits_90d:.1f}"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _value(segment: MemberSegment) -> MemberValue | None:
    return getattr(segment.member, "value", None)


class MemberValueColumns:
    """Columns for the segment list (which selects `member__value` with the member)."""

    @admin.display(description=_("still a customer"), ordering="member__value__p_alive")
    def p_alive(self, obj: MemberSegment) -> str:
        value = _value(obj)
        return percent(value.p_alive if value else None)

    @admin.display(description=_("visits next 90 days"), ordering="member__value__expected_visits_90d")
    def expected_visits(self, obj: MemberSegment) -> str:
        value = _value(obj)
        return "—" if value is None else f"{value.expected_visits_90d:.1f}"

    @admin.display(description=_("12-month value"), ordering="member__value__clv_12m")
    def clv(self, obj: MemberSegment) -> str:
        value = _value(obj)
        return "—" if value is None else format_money(value.clv_12m)


def calibration_table(calibration: dict | None) -> SafeString | str:
    if not calibration:
        return gettext("Too little history before the holdout to check the model.")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((g["label"], g["members"], g["predicted"], g["actual"]) for g in calibration["groups"]),
    )
    return format_html(
        "<table><thead><tr><th scope='col'>{}</th><th scope='col'>{}</th><th scope='col'>{}</th>"
        "<th scope='col'>{}</th></tr></thead><tbody>{}<tr><th scope='row'>{}</th><td>{}</td><td>{}</td>"
        "<td>{}</td></tr></tbody></table>",
        _("Repeat visits before the holdout"),
        _("Members"),
        _("Predicted visits"),
        _("Actual visits"),
        rows,
        _("Total"),
        calibration["members"],
        calibration["predicted"],
        calibration["actual"],
    )


@admin.register(ClvFit)
class ClvFitAdmin(ReadOnlyAdmin):
    """Rows come from `manage.py compute_clv`."""

    list_display = ["fitted_at", "members", "holdout_predicted", "holdout_actual"]
    fields = ["fitted_at", "members", "r", "alpha", "a", "b", "p", "q", "gamma", "holdout_days", "calibration_report"]
    readonly_fields = [
        "fitted_at",
        "members",
        "r",
        "alpha",
        "a",
        "b",
        "p",
        "q",
        "gamma",
        "holdout_days",
        "calibration_report",
    ]

    @admin.display(description=_("predicted visits in the holdout"))
    def holdout_predicted(self, obj: ClvFit) -> str:
        return "—" if not obj.calibration else str(obj.calibration["predicted"])

    @admin.display(description=_("actual visits in the holdout"))
    def holdout_actual(self, obj: ClvFit) -> str:
        return "—" if not obj.calibration else str(obj.calibration["actual"])

    @admin.display(description=_("calibration"))
    def calibration_report(self, obj: ClvFit) -> SafeString | str:
        return calibration_table(obj.calibration)
