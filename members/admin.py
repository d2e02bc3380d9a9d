from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from cafe_loyalty.core.admin_records import MoneyAdmin, MoneyFieldsMixin, ReadOnlyAdmin
from members.exceptions import InsufficientPoints
from members.models import Consent, Member, PointsEntry, PointsLot, PointsPolicy, PointsShortfall, Tier
from members.points import points_adjust
from members.privacy import mask_email, mask_phone
from members.tiers import tier_override


class ConsentInline(MoneyFieldsMixin, admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "purpose", "granted", "recorded_at", "source"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PointsLotInline(MoneyFieldsMixin, admin.TabularInline):
    model = PointsLot
    extra = 0
    can_delete = False
    fields = ["points", "remaining", "earned_at", "expires_at", "source", "reference"]
    readonly_fields = ["points", "remaining", "earned_at", "expires_at", "source", "reference"]
    ordering = ["-earned_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AdjustPointsForm(forms.Form):
    # Bounded so a slip of the keyboard cannot mint or wipe millions.
    points = forms.IntegerField(
        min_value=-1_000_000, max_value=1_000_000, help_text=_("Positive to add, negative to take away.")
    )
    reason = forms.CharField(max_length=200)


class TierOverrideForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.all())
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200)


@admin.register(Member)
class MemberAdmin(MoneyAdmin):
    list_display = [
        "card_number",
        "display_name",
        "masked_email",
        "masked_phone",
        "tier",
        "points_balance",
        "created_at",
    ]
    search_fields = ["=card_number", "email", "phone", "display_name"]
    list_filter = ["tier", "preferred_language", "created_at"]
    list_select_related = ["tier"]
    # The login a member signs in with is never changed here: a manager could
    # otherwise move a wallet to their own account.
    readonly_fields = [
        "user",
        "card_number",
        "points_balance",
        "tier",
        "tier_since",
        "created_at",
        "birthday_changed_at",
        "anonymised_at",
        "tier_override_until",
        "tier_override_reason",
    ]
    inlines = [PointsLotInline, ConsentInline]
    show_full_result_count = False
    actions = ["adjust_points", "override_tier"]

    @admin.action(description=_("Adjust points (with a reason)"), permissions=["change"])
    def adjust_points(self, request: HttpRequest, queryset: QuerySet[Member]) -> object:
        form = AdjustPointsForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for member in queryset:
                try:
                    points_adjust(
                        member=member,
                        points=form.cleaned_data["points"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                    done += 1
                except (InsufficientPoints, ValueError) as exc:
                    self.message_user(request, f"{member}: {exc}", messages.WARNING)
            self.message_user(request, _("Adjusted %(n)d member(s).") % {"n": done}, messages.SUCCESS)
            return None
        return render(
            request,
            "admin/members/action_form.html",
            {"form": form, "members": queryset, "action": "adjust_points", "title": _("Adjust points")},
        )

    @admin.action(description=_("Override tier (with a reason)"), permissions=["change"])
    def override_tier(self, request: HttpRequest, queryset: QuerySet[Member]) -> object:
        form = TierOverrideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for member in queryset:
                tier_override(
                    member=member,
                    tier=form.cleaned_data["tier"],
                    reason=form.cleaned_data["reason"],
                    until=form.cleaned_data["until"],
                    actor=request.user,
                )
            self.message_user(request, _("Tier set for %(n)d member(s).") % {"n": queryset.count()}, messages.SUCCESS)
            return None
        return render(
            request,
            "admin/members/action_form.html",
            {"form": form, "members": queryset, "action": "override_tier", "title": _("Override tier")},
        )

    @admin.display(description=_("email"))
    def masked_email(self, obj: Member) -> str:
        return mask_email(obj.email)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Member) -> str:
        return mask_phone(obj.phone) if obj.phone else ""


@admin.register(Tier)
class TierAdmin(TranslationAdmin):  # a name and perks per language
    list_display = ["name", "rank", "min_points_12m", "min_visits_12m", "multiplier_percent", "free_drink_on_tier_up"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PointsPolicy)
class PointsPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "expiry_mode",
        "expiry_months",
        "warning_days",
        "reminder_days",
        "quiet_hours_start",
        "quiet_hours_end",
        "tier_grace_days",
        "point_value",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PointsPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "kind", "points", "source", "reference"]
    list_filter = ["kind", "source"]
    search_fields = ["member__card_number", "reference"]
    list_select_related = ["member"]
    show_full_result_count = False


@admin.register(PointsShortfall)
class PointsShortfallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "member", "reference", "points", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["member__card_number", "reference"]
    list_select_related = ["member"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded by refunds that take back more points than are left
