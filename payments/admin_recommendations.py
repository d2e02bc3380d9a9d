"""Recommendations in the admin: each nightly run, and the report a manager
reads to see whether members who are shown recommendations buy the
recommended items more than the holdout, who are not shown them; with its
chart and the same figures as CSV (`?format=csv`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.admin_records import ReadOnlyAdmin
from cafe_loyalty.core.replica import replica_view
from cafe_loyalty.core.spreadsheets import csv_download
from payments.insight_charts import recommendation_groups, recommendations_chart
from payments.models import ProductPair, RecommendationRun
from payments.recommendations.compute import HOLDOUT_PERCENT, WINDOW
from payments.recommendations.results import FOLLOW, RecommendationResults, recommendation_results, top_pairs


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _share(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _recommendations_rows(results: RecommendationResults, pairs: list[ProductPair]) -> Iterator[Sequence[object]]:
    yield [_("Recommendations: do they work?"), results.until.isoformat(timespec="minutes")]
    yield []
    yield [
        _("Group"),
        _("Members"),
        _("Items recommended"),
        _("Bought within the period"),
        _("Share bought"),
        _("Members who bought one"),
        _("Share of members"),
    ]
    for name, group in recommendation_groups(results):
        yield [
            name,
            group.members,
            group.recommendations,
            group.bought,
            _share(group.rate),
            group.members_bought,
            _share(group.member_rate),
        ]
    uplift = results.uplift_points
    yield [_("Difference (percentage points)"), "" if uplift is None else round(uplift, 2)]
    yield []
    yield [_("Item"), _("Goes with"), _("Lift"), _("Members who buy both")]
    for pair in pairs:
        yield [pair.product.name, pair.other.name, round(pair.lift, 4), pair.members_together]


@replica_view
def recommendations_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    results, pairs = recommendation_results(now=timezone.now()), top_pairs()
    if request.GET.get("format") == "csv":
        name = f"recommendations-{timezone.localdate().isoformat()}.csv"
        return csv_download(name, _recommendations_rows(results, pairs))
    keys = ["shown", "holdout"]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Recommendations: do they work?"),
        "results": results,
        "groups": [
            {
                "name": name,
                "key": key,
                "group": group,
                "rate": _percent(group.rate),
                "member_rate": _percent(group.member_rate),
            }
            for key, (name, group) in zip(keys, recommendation_groups(results), strict=True)
        ],
        "chart": recommendations_chart(results),
        "pairs": pairs,
        "uplift": None if results.uplift_points is None else f"{results.uplift_points:+.1f}",
        "follow_days": FOLLOW.days,
        "window_days": WINDOW.days,
        "holdout_percent": HOLDOUT_PERCENT,
    }
    return TemplateResponse(request, "admin/payments/recommendations_report.html", context)


@admin.register(RecommendationRun)
class RecommendationRunAdmin(ReadOnlyAdmin):
    list_display = ["computed_at", "members", "holdout_members", "baskets", "seconds"]
    date_hierarchy = "computed_at"

    def get_urls(self) -> list[Any]:
        report = path(
            "report/",
            self.admin_site.admin_view(lambda request: recommendations_report_view(self, request)),
            name="payments_recommendationrun_report",
        )
        return [report, *super().get_urls()]
