"""Links from the lists of coupon templates and promotions to the offers
report, filtered to that row's offer. They live in the top layer: the offers
are campaigns', the report (which needs orders) is payments', and campaigns
may not point up at payments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class OffersReportLink(admin.ModelAdmin):
    """Adds an "offers report" column to a list, for those who may open the report."""

    offers_filter = ""  # the offers report's query parameter naming this model's rows

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))
        # The report is guarded by the orders' view permission (payments.admin_insight).
        return [*columns, "offers_report"] if request.user.has_perm("payments.view_order") else columns

    @admin.display(description=_("offers report"))
    def offers_report(self, obj: Any) -> str:
        url = reverse("admin:payments_order_offers") + "?" + urlencode({self.offers_filter: obj.pk})
        return format_html('<a href="{}">{}</a>', url, gettext("Issued, used and cost"))
