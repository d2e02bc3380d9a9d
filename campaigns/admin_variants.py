"""A/B variants in the campaign admin: the inline that edits them and the
report page that compares them (issue 17, item 11)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.admin_records import MoneyFieldsMixin
from campaigns.models import Campaign, CampaignVariant
from campaigns.reports import campaign_variant_comparisons, campaign_variant_results


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

    def variants_view(self, request: HttpRequest, campaign_id: int) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        results = campaign_variant_results(campaign=campaign)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("%(campaign)s: variants") % {"campaign": campaign},
            "campaign": campaign,
            "results": results,
            "comparisons": campaign_variant_comparisons(results),
        }
        return TemplateResponse(request, "admin/campaigns/campaign/variants.html", context)
