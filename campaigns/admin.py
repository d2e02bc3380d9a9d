from django.contrib import admin
from django.http import HttpRequest

from campaigns.models import EarnRule, ProductBonus, Promotion


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
