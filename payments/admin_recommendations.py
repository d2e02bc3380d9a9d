"""Recommendations in the admin: each nightly run, and the report a manager
reads to see whether members who are shown recommendations buy the
recommended items more than the holdout, who are not shown them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.admin_records import ReadOnlyAdmin
from payments.models import RecommendationRun
from payments.recommendations.compute import HOLDOUT_PERCENT, WINDOW
from payments.recommendations.results import FOLLOW, recommendation_results, top_pairs


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def recommendations_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    results = recommendation_results(now=timezone.now())
    groups = [
        (_("Shown recommendations"), "shown", results.shown),
        (_("Holdout (not shown)"), "holdout", results.holdout),
    ]
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
            for name, key, group in groups
        ],
        "pairs": top_pairs(),
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
