from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from cafe_loyalty.core.admin_records import MoneyAdmin, ReadOnlyAdmin
from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.replica import replica_view
from cafe_loyalty.core.spreadsheets import csv_download
from campaigns import admin_messages  # noqa: F401  (registers messages and reminders)
from campaigns.admin_clv import MemberValueColumns, SegmentListCsv
from campaigns.admin_variants import CampaignVariantInline, CampaignVariantsReport
from campaigns.feedback import order_feedback_follow_ups_handle, order_feedback_reply
from campaigns.lifecycle import campaign_run
from campaigns.models import (
    BirthdayGrant,
    Campaign,
    CampaignEntry,
    Coupon,
    CouponTemplate,
    EarnRule,
    MemberSegment,
    OrderFeedback,
    ProductBonus,
    Promotion,
    Referral,
    Reward,
)
from campaigns.report_charts import activity_chart, campaigns_chart, cohort_chart, segments_chart
from campaigns.reports import (
    CHURN_DAYS,
    campaign_comparisons,
    lapsed_summary,
    retention_figures,
)
from campaigns.retention_csv import retention_rows
from campaigns.selectors import (
    CampaignResult,
    campaign_result,
    clv_fit_latest,
    earn_rule_exists,
    feedback_by_store,
    segment_counts,
)


@admin.register(EarnRule)
class EarnRuleAdmin(MoneyAdmin):
    list_display = ["__str__", "max_points_per_order", "max_points_per_day"]
    money_fields = ["unit_amount"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not earn_rule_exists()


@admin.register(ProductBonus)
class ProductBonusAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category_slug", "product_sku", "multiplier_percent", "is_active"]


@admin.register(Promotion)
class PromotionAdmin(MoneyAdmin):
    list_display = [
        "name",
        "multiplier_percent",
        "bonus_points",
        "weekdays",
        "start_time",
        "end_time",
        "stackable",
        "holdout_percent",
        "is_active",
    ]
    list_filter = ["is_active", "stackable", "is_member_day"]


@admin.register(CouponTemplate)
class CouponTemplateAdmin(MoneyAdmin):
    list_display = ["name", "kind", "percent_off", "amount_off", "min_spend", "valid_days", "stackable", "is_active"]
    list_filter = ["kind", "is_active"]
    money_fields = ["amount_off", "min_spend"]


@admin.register(Coupon)
class CouponAdmin(MoneyAdmin):
    list_display = [
        "code",
        "template",
        "member",
        "source",
        "issued_at",
        "expires_at",
        "redeemed_at",
        "order_reference",
        "reserved_for",
    ]
    list_filter = ["source", "template", ("redeemed_at", admin.EmptyFieldListFilter)]
    search_fields = ["=code", "member__card_number", "order_reference", "reserved_for"]
    # Holds are the till's: an open order takes and lets go of them.
    readonly_fields = ["reserved_for", "reserved_at"]
    list_select_related = ["template", "member"]
    raw_id_fields = ["member"]
    money_fields = ["discount"]


@admin.register(Reward)
class RewardAdmin(TranslationAdmin):  # a name and description per language
    list_display = ["name", "points_cost", "template", "is_active"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["referrer", "friend", "status", "created_at", "rewarded_at"]
    list_filter = ["status"]
    list_select_related = ["referrer", "friend"]
    raw_id_fields = ["referrer", "friend"]


@admin.register(BirthdayGrant)
class BirthdayGrantAdmin(ReadOnlyAdmin):
    list_display = ["member", "year", "granted_at"]
    list_select_related = ["member"]


class FollowUpFilter(admin.SimpleListFilter):
    title = _("follow-up")
    parameter_name = "follow_up"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("To handle")), ("handled", _("Handled"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OrderFeedback]) -> QuerySet[OrderFeedback]:
        if self.value() == "open":
            return queryset.filter(follow_up=True, follow_up_handled_at__isnull=True)
        if self.value() == "handled":
            return queryset.filter(follow_up=True, follow_up_handled_at__isnull=False)
        return queryset


@admin.register(OrderFeedback)
class OrderFeedbackAdmin(MoneyAdmin):
    """Members' ratings. A manager writes a reply (it goes to the member's
    inbox) and marks low ratings' follow-ups handled; the rating itself is the
    member's, read-only, though an abusive comment can be deleted."""

    list_display = [
        "created_at",
        "store_slug",
        "rating",
        "comment",
        "member",
        "order_reference",
        "replied",
        "follow_up_state",
    ]
    list_filter = [FollowUpFilter, "store_slug", "rating"]
    list_select_related = ["member"]
    change_list_template = "admin/campaigns/orderfeedback/change_list.html"
    _record = [
        "created_at",
        "member",
        "order_reference",
        "store_slug",
        "rating",
        "comment",
        "follow_up",
        "follow_up_handled_at",
        "follow_up_handled_by",
    ]
    fields = [*_record, "reply", "replied_at", "replied_by"]
    readonly_fields = [*_record, "replied_at", "replied_by"]
    actions = ["mark_follow_up_handled"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("campaigns.delete_orderfeedback"))

    def save_model(self, request: HttpRequest, obj: OrderFeedback, form: Any, change: bool) -> None:
        # Only the reply is editable, and it is sent through the service.
        if "reply" in form.changed_data:
            order_feedback_reply(feedback_id=obj.pk, reply=form.cleaned_data["reply"], by=request.user)

    @admin.display(description=_("replied"), boolean=True)
    def replied(self, obj: OrderFeedback) -> bool:
        return bool(obj.reply)

    @admin.display(description=_("follow-up"))
    def follow_up_state(self, obj: OrderFeedback) -> str:
        if not obj.follow_up:
            return ""
        return str(_("Handled") if obj.follow_up_handled_at else _("To handle"))

    @admin.action(description=_("Mark the follow-ups handled"), permissions=["change"])
    def mark_follow_up_handled(self, request: HttpRequest, queryset: QuerySet[OrderFeedback]) -> None:
        count = order_feedback_follow_ups_handle(feedback_ids=queryset.values_list("pk", flat=True), by=request.user)
        self.message_user(request, _("Handled %(n)d follow-up(s).") % {"n": count}, messages.SUCCESS)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        response = super().changelist_view(request, extra_context)
        # Action confirmation pages are TemplateResponses too, without a list.
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None:
            context["per_store"] = feedback_by_store(feedbacks=changelist.queryset)
        return response  # type: ignore[return-value]


# --- Segments, lifecycle campaigns, retention -----------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@admin.register(MemberSegment)
class MemberSegmentAdmin(MemberValueColumns, SegmentListCsv):
    """Read-only: rows come from `manage.py compute_segments`."""

    # Scores in one column and no computed-at (one nightly run: the same for
    # every row), so the list, spend and the CLV columns included, fits beside the filters.
    list_display = [
        "member",
        "segment",
        "scores",
        "recency_days",
        "frequency",
        "spend",
        "p_alive",
        "expected_visits",
        "clv",
    ]
    list_filter = ["segment", "member__value__high_value_at_risk", "r_score", "f_score", "m_score"]
    search_fields = ["=member__card_number"]
    list_select_related = ["member", "member__value"]
    change_list_template = "admin/campaigns/membersegment/change_list.html"

    @admin.display(description=_("R F M"))
    def scores(self, obj: MemberSegment) -> str:
        return f"R{obj.r_score} F{obj.f_score} M{obj.m_score}"

    @admin.display(description=_("spend (12 months)"), ordering="monetary")
    def spend(self, obj: MemberSegment) -> str:
        return format_money(obj.monetary)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        report = path(
            "retention/", self.admin_site.admin_view(self.retention_view), name="campaigns_membersegment_retention"
        )
        return [report, *super().get_urls()]

    @replica_view  # the list, its chart and its CSV (SegmentListCsv)
    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        context = {
            "segments_chart": segments_chart(segment_counts()),
            "clv_fit": clv_fit_latest(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)  # type: ignore[return-value]

    @replica_view
    def retention_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        months, cohorts = retention_figures(months=12, cohort_months=6)
        comparisons = campaign_comparisons()
        segments, lapsed = segment_counts(), lapsed_summary()
        if request.GET.get("format") == "csv":
            rows = retention_rows(
                lapsed=lapsed, months=months, cohorts=cohorts, comparisons=comparisons, segments=segments
            )
            return csv_download(f"retention-{timezone.localdate().isoformat()}.csv", rows)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Retention and churn"),
            "months": months,
            "activity_chart": activity_chart(months),
            "cohort_chart": cohort_chart(cohorts),
            "campaigns_chart": campaigns_chart(comparisons),
            "segments_chart": segments_chart(segments),
            "lapsed": lapsed,
            "churn_days": CHURN_DAYS,
        }
        return TemplateResponse(request, "admin/campaigns/retention.html", context)


@admin.register(Campaign)
class CampaignAdmin(CampaignVariantsReport, MoneyAdmin):
    list_display = [
        "name",
        "kind",
        "segment",
        "coupon_template",
        "holdout_percent",
        "is_active",
        "treatment_conversion",
        "holdout_conversion",
        "uplift",
        "variants_report",
    ]
    list_filter = ["kind", "is_active"]
    list_select_related = ["coupon_template"]
    list_per_page = 25  # each row reads its campaign's results
    readonly_fields = ["results", "variants_report"]
    inlines = [CampaignVariantInline]
    actions = ["run_now"]

    def _result(self, obj: Campaign) -> CampaignResult:
        cache = obj.__dict__.setdefault("_result_memo", {})
        if "result" not in cache:
            cache["result"] = campaign_result(campaign=obj)
        return cache["result"]

    @admin.display(description=_("sent: came back"))
    def treatment_conversion(self, obj: Campaign) -> str:
        group = self._result(obj).treatment
        return gettext("%(rate)s of %(members)s") % {"rate": _percent(group.rate), "members": group.members}

    @admin.display(description=_("holdout: came back"))
    def holdout_conversion(self, obj: Campaign) -> str:
        group = self._result(obj).holdout
        return gettext("%(rate)s of %(members)s") % {"rate": _percent(group.rate), "members": group.members}

    @admin.display(description=_("uplift"))
    def uplift(self, obj: Campaign) -> str:
        points = self._result(obj).uplift_points
        # Percentage points: the difference of two rates.
        return "—" if points is None else gettext("%(points)s pp") % {"points": f"{points:+.1f}"}

    @admin.display(description=_("results"))
    def results(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "—"
        return gettext("%(sent)s converted after the coupon; %(holdout)s in the holdout; uplift %(uplift)s") % {
            "sent": self.treatment_conversion(obj),
            "holdout": self.holdout_conversion(obj),
            "uplift": self.uplift(obj),
        }

    @admin.action(description=_("Run now: enter eligible members"))
    def run_now(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset.select_related("coupon_template"):
            if not campaign.is_active:
                self.message_user(
                    request, gettext("%(campaign)s: not active, skipped.") % {"campaign": campaign}, messages.WARNING
                )
                continue
            run = campaign_run(campaign=campaign)
            self.message_user(
                request,
                gettext("%(campaign)s: %(sent)s sent, %(held)s held out.")
                % {"campaign": campaign, "sent": run.treatment, "held": run.holdout},
            )


@admin.register(CampaignEntry)
class CampaignEntryAdmin(admin.ModelAdmin):
    list_display = ["entered_at", "campaign", "member", "group", "variant", "coupon"]
    list_filter = ["campaign", "group"]
    search_fields = ["=member__card_number"]
    list_select_related = ["campaign", "member", "coupon", "variant"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
