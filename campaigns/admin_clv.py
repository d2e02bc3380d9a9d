"""The CLV scores in the admin: read-only on the member page (an inline the
top layer adds to the member admin), as columns in the segment list, and the
nightly fits with their holdout calibration."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.admin_records import MoneyFieldsMixin, ReadOnlyAdmin
from cafe_loyalty.core.money import format_money, major_units
from cafe_loyalty.core.spreadsheets import csv_download, in_currency
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


def _share(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _segment_rows(segments: QuerySet[MemberSegment]) -> Iterator[Sequence[object]]:
    # Outside the f-strings below: makemessages does not look inside them.
    spend, value_12m = gettext("Spend (12 months)"), gettext("12-month value")
    yield [
        gettext("Card number"),
        gettext("Segment"),
        "R",
        "F",
        "M",
        gettext("Days since last visit"),
        gettext("Visits (12 months)"),
        in_currency(spend),
        gettext("Probability still a customer"),
        gettext("Expected visits in 90 days"),
        in_currency(value_12m),
        gettext("High value, risk of leaving"),
    ]
    for row in segments.iterator(chunk_size=2_000):
        value = _value(row)
        yield [
            row.member.card_number,
            row.get_segment_display(),
            row.r_score,
            row.f_score,
            row.m_score,
            row.recency_days,
            row.frequency,
            major_units(row.monetary),
            *(
                ["", "", "", ""]
                if value is None
                else [_share(value.p_alive), round(value.expected_visits_90d, 2), major_units(value.clv_12m)]
                + [gettext("yes") if value.high_value_at_risk else gettext("no")]
            ),
        ]


class SegmentListCsv(admin.ModelAdmin):
    """The segment list as CSV (`?format=csv`): the members it shows, with the
    list's filters and search applied, each with their scores and CLV."""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.GET.get("format") != "csv":
            return super().changelist_view(request, extra_context)
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The admin reads every other parameter as a filter on a field.
        listed = request.GET.copy()
        del listed["format"]
        request.GET = listed  # type: ignore[assignment]
        try:
            segments = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            # As the list itself answers a filter on no such field: back to the list, flagged.
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return csv_download(f"segments-{timezone.localdate().isoformat()}.csv", _segment_rows(segments))


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
