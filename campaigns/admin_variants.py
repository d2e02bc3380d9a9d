"""A/B variants in the campaign admin: the inline that edits them and the
report page that compares them (issue 17, item 11), with its chart and the
same figures as CSV (`?format=csv`)."""

from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.admin_records import MoneyFieldsMixin
from cafe_loyalty.core.replica import replica_view
from cafe_loyalty.core.spreadsheets import csv_download
from campaigns.models import Campaign, CampaignVariant
from campaigns.report_charts import variants_chart
from campaigns.reports import (
    VariantComparison,
    VariantResult,
    campaign_variant_comparisons,
    campaign_variant_results,
)


def _share(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _variants_rows(
    campaign: Campaign, results: list[VariantResult], comparisons: list[VariantComparison]
) -> Iterator[Sequence[object]]:
    """Rates and ranges as shares (0.125, not "12.5%"), so a spreadsheet can
    compute with them; the verdict as the page words it."""
    yield [gettext("%(campaign)s: variants") % {"campaign": campaign}]
    yield [gettext("Conversion days"), campaign.conversion_days]
    yield []
    yield [
        gettext("Group"),
        gettext("Members"),
        gettext("Came back"),
        gettext("Rate"),
        gettext("Range (95%): low"),
        gettext("Range (95%): high"),
    ]
    for row in results:
        low, high = (None, None) if row.interval is None else (row.interval.low, row.interval.high)
        yield [row.name, row.members, row.converted, _share(row.rate), _share(low), _share(high)]
    yield []
    yield [
        gettext("Compared"),
        gettext("Difference"),
        gettext("Range of the difference (95%): low"),
        gettext("Range of the difference (95%): high"),
        gettext("p-value"),
        gettext("In plain words"),
    ]
    for c in comparisons:
        test = c.test
        cells: list[object] = (
            ["", "", "", ""]
            if test is None
            else [
                _share(test.difference),
                _share(test.interval.low),
                _share(test.interval.high),
                round(test.p_value, 4),
            ]
        )
        yield [f"{c.first.name} – {c.second.name}", *cells, c.sentence]


class CampaignVariantInline(MoneyFieldsMixin, admin.TabularInline):
    """A/B variants: each sent member gets one, by weight; none = the
    campaign's own coupon and message for everyone sent."""

    model = CampaignVariant
    extra = 0
    fields = ["name", "coupon_template", "message", "weight"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A variant that reached members keeps its results (PROTECT); the
        # inline offers deleting only before the campaign has entered anyone.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.entries.exists())


class CampaignVariantsReport(admin.ModelAdmin):
    """Mixin for the campaign admin: the variants page and the link to it."""

    def get_urls(self) -> list[URLPattern]:
        report = path(
            "<int:campaign_id>/variants/",
            self.admin_site.admin_view(self.variants_view),
            name="campaigns_campaign_variants",
        )
        return [report, *super().get_urls()]

    @admin.display(description=_("A/B report"))
    def variants_report(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:campaigns_campaign_variants", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Variants and significance"))

    @replica_view
    def variants_view(self, request: HttpRequest, campaign_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        results = campaign_variant_results(campaign=campaign)
        comparisons = campaign_variant_comparisons(results)
        if request.GET.get("format") == "csv":
            return csv_download(f"variants-{campaign.pk}.csv", _variants_rows(campaign, results, comparisons))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("%(campaign)s: variants") % {"campaign": campaign},
            "campaign": campaign,
            "results": results,
            "comparisons": comparisons,
            "chart": variants_chart(results),
        }
        return TemplateResponse(request, "admin/campaigns/campaign/variants.html", context)
