from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.models import Consent, Member
from members.privacy import mask_email, mask_phone


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "purpose", "granted", "recorded_at", "source"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["card_number", "display_name", "masked_email", "masked_phone", "points_balance", "created_at"]
    search_fields = ["=card_number", "email", "phone", "display_name"]
    list_filter = ["preferred_language", "created_at"]
    readonly_fields = ["card_number", "points_balance", "created_at", "birthday_changed_at", "anonymised_at"]
    raw_id_fields = ["user"]
    inlines = [ConsentInline]
    show_full_result_count = False

    @admin.display(description=_("email"))
    def masked_email(self, obj: Member) -> str:
        return mask_email(obj.email)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Member) -> str:
        return mask_phone(obj.phone) if obj.phone else ""
