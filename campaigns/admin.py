from django.contrib import admin
from django.db.models import Avg, Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from campaigns.models import (
    BirthdayGrant,
    Coupon,
    CouponTemplate,
    EarnRule,
    OrderFeedback,
    ProductBonus,
    Promotion,
    Referral,
    Reward,
)


@admin.register(EarnRule)
class EarnRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "max_points_per_order", "max_points_per_day"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not EarnRule.objects.exists()


@admin.register(ProductBonus)
class ProductBonusAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category_slug", "product_sku", "multiplier_percent", "is_active"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "multiplier_percent",
        "bonus_points",
        "weekdays",
        "start_time",
        "end_time",
        "stackable",
        "is_active",
    ]
    list_filter = ["is_active", "stackable", "is_member_day"]


@admin.register(CouponTemplate)
class CouponTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "percent_off", "amount_off", "min_spend", "valid_days", "stackable", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "template", "member", "source", "issued_at", "expires_at", "redeemed_at", "order_reference"]
    list_filter = ["source", "template", ("redeemed_at", admin.EmptyFieldListFilter)]
    search_fields = ["=code", "member__card_number", "order_reference"]
    list_select_related = ["template", "member"]
    raw_id_fields = ["member"]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "points_cost", "template", "is_active"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["referrer", "friend", "status", "created_at", "rewarded_at"]
    list_filter = ["status"]
    list_select_related = ["referrer", "friend"]
    raw_id_fields = ["referrer", "friend"]


@admin.register(BirthdayGrant)
class BirthdayGrantAdmin(admin.ModelAdmin):
    list_display = ["member", "year", "granted_at"]


@admin.register(OrderFeedback)
class OrderFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "store_slug", "rating", "comment", "member", "order_reference"]
    list_filter = ["store_slug", "rating"]
    list_select_related = ["member"]
    change_list_template = "admin/campaigns/orderfeedback/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            queryset: QuerySet[OrderFeedback] = response.context_data["cl"].queryset
            response.context_data["per_store"] = (
                queryset.order_by()
                .values("store_slug")
                .annotate(average=Avg("rating"), count=Count("pk"))
                .order_by("store_slug")
            )
        return response  # type: ignore[return-value]
