"""Back office for stores, terminals, the wallet ledger and risk."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.admin_records import MoneyAdmin, MoneyFieldsMixin, ReadOnlyAdmin
from cafe_loyalty.core.money import format_money
from payments import (  # noqa: F401  (registers the till's models, offline paying, wallet pauses and recommendation runs)
    admin_offline,
    admin_pauses,
    admin_pos,
    admin_recommendations,
    admin_reports,
)
from payments.models import (
    Account,
    CashOut,
    Payment,
    ProgrammeSettings,
    Refund,
    RiskAlert,
    Store,
    StoreHours,
    StoreStaff,
    Terminal,
    TopUp,
    TopUpBonusRule,
    Transfer,
)
from payments.services.risk import wallet_freeze, wallet_unfreeze
from payments.services.terminals import terminal_revoke


class TerminalInline(MoneyFieldsMixin, admin.TabularInline):
    model = Terminal
    extra = 0
    fields = ["name", "is_active", "key_prefix", "last_seen_at", "created_at"]
    readonly_fields = ["name", "key_prefix", "last_seen_at", "created_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are printed once by `manage.py create_terminal`


class StoreStaffInline(MoneyFieldsMixin, admin.TabularInline):
    model = StoreStaff
    money_fields = ["daily_top_up_cap"]
    extra = 0
    raw_id_fields = ["user"]


class StoreHoursInline(MoneyFieldsMixin, admin.TabularInline):
    """Opening hours by weekday, in the store's time zone: order ahead is
    taken inside them (a day with a break has two rows)."""

    model = StoreHours
    extra = 0


@admin.register(Store)
class StoreAdmin(MoneyAdmin):
    list_display = [
        "name",
        "slug",
        "address",
        "time_zone",
        "is_active",
        "ahead_enabled",
        "prep_minutes_per_item",
        "ahead_paused_until",
    ]
    list_filter = ["is_active", "ahead_enabled"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug", "address"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "address",
                    ("latitude", "longitude"),
                    "time_zone",
                    "opening_hours",
                    "is_active",
                ]
            },
        ),
        (
            _("Order ahead"),
            {"fields": ["ahead_enabled", "prep_minutes_per_item", "ahead_paused_until", "ahead_pause_reason"]},
        ),
    ]
    inlines = [StoreHoursInline, TerminalInline, StoreStaffInline]


@admin.register(Terminal)
class TerminalAdmin(MoneyAdmin):
    list_display = ["name", "store", "is_active", "key_prefix", "last_seen_at"]
    list_filter = ["store", "is_active"]
    readonly_fields = ["key_prefix", "created_at", "last_seen_at"]
    fields = ["store", "name", "is_active", "daily_top_up_cap", "key_prefix", "created_at", "last_seen_at"]
    money_fields = ["daily_top_up_cap"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected terminals' keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset:
            terminal_revoke(terminal=terminal)
        self.message_user(request, _("Revoked %(n)d terminal(s).") % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(ProgrammeSettings)
class ProgrammeSettingsAdmin(MoneyAdmin):
    list_display = ["__str__", "no_confirmation_limit", "daily_limit_cap", "wallet_cap", "refund_approval_threshold"]
    money_fields = [
        "no_confirmation_limit",
        "daily_limit_cap",
        "wallet_cap",
        "refund_approval_threshold",
        "min_top_up",
        "max_top_up",
        "terminal_daily_top_up_cap",
        "staff_daily_top_up_cap",
        "new_member_first_day_top_up_cap",
        "staff_daily_refund_cap",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ProgrammeSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TopUpBonusRule)
class TopUpBonusRuleAdmin(MoneyAdmin):
    list_display = ["name", "min_amount", "bonus", "is_active", "starts_at", "ends_at"]
    list_filter = ["is_active"]
    money_fields = ["min_amount", "bonus"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "store", "balance_display", "debits_posted", "credits_posted", "frozen_at"]
    list_filter = ["kind", "store", ("frozen_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "member__card_number"]
    list_select_related = ["store"]
    actions = ["freeze", "unfreeze"]
    money_fields = ["debits_posted", "credits_posted", "daily_limit", "no_confirmation_limit"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        report = path(
            "liability/",
            self.admin_site.admin_view(lambda request: admin_reports.liability_report_view(self, request)),
            name="payments_account_liability",
        )
        return [report, *super().get_urls()]

    @admin.display(description=_("balance"))
    def balance_display(self, obj: Account) -> str:
        return format_money(obj.balance)

    @admin.action(description=_("Freeze the selected wallets"), permissions=["view"])
    def freeze(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        count = 0
        for account in queryset.filter(kind=Account.Kind.WALLET).select_related("member"):
            assert account.member is not None
            wallet_freeze(member=account.member, reason=f"Frozen by {request.user}", by_staff=True)
            count += 1
        self.message_user(request, _("Froze %(n)d wallet(s).") % {"n": count}, messages.WARNING)

    @admin.action(description=_("Unfreeze the selected wallets"), permissions=["view"])
    def unfreeze(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        count = 0
        for account in queryset.filter(kind=Account.Kind.WALLET, frozen_at__isnull=False).select_related("member"):
            assert account.member is not None
            wallet_unfreeze(member=account.member, by_staff=True)
            count += 1
        self.message_user(request, _("Unfroze %(n)d wallet(s).") % {"n": count}, messages.SUCCESS)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "amount", "debit_account", "credit_account", "order_reference"]
    list_filter = ["kind", "created_at"]
    search_fields = ["order_reference", "debit_account__name", "credit_account__name"]
    list_select_related = ["debit_account", "credit_account"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    money_fields = ["amount"]


class RefundInline(MoneyFieldsMixin, admin.TabularInline):
    model = Refund
    money_fields = ["amount"]
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "reason", "actor", "approved_by", "terminal", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "member", "amount", "refunded_amount", "status", "store", "reference"]
    list_filter = ["status", "store", "created_at"]
    search_fields = ["=pk", "reference", "member__card_number"]
    list_select_related = ["member", "store"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]
    show_full_result_count = False
    money_fields = ["amount", "refunded_amount"]


@admin.register(CashOut)
class CashOutAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "amount", "store", "actor", "approved_by", "reason"]
    list_filter = ["store"]
    search_fields = ["member__card_number", "reason"]
    list_select_related = ["member", "store", "actor", "approved_by"]
    money_fields = ["amount"]


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "amount", "bonus", "tender", "store"]
    list_filter = ["tender", "store"]
    search_fields = ["member__card_number"]
    list_select_related = ["member", "store"]
    money_fields = ["amount", "bonus"]


@admin.register(RiskAlert)
class RiskAlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "high_severity", "kind", "member", "store", "terminal", "detail", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter), "store"]
    search_fields = ["member__card_number", "detail"]
    list_select_related = ["member", "terminal", "store"]
    _record = ["created_at", "kind", "member", "store", "terminal", "detail", "notified_at"]
    fields = [*_record, "resolution_note", "resolved_at", "resolved_by"]
    # Only the manager's note is theirs to write; the rest is the record.
    readonly_fields = [*_record, "resolved_at", "resolved_by"]
    actions = ["resolve", "freeze_member"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("high severity"), boolean=True)
    def high_severity(self, obj: RiskAlert) -> bool:
        return obj.is_high_severity

    @admin.action(description=_("Mark resolved"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[RiskAlert]) -> None:
        n = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now(), resolved_by=request.user)
        self.message_user(request, _("Resolved %(n)d alert(s).") % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("Freeze the members' wallets"))
    def freeze_member(self, request: HttpRequest, queryset: QuerySet[RiskAlert]) -> None:
        members = {alert.member for alert in queryset.select_related("member") if alert.member}
        for member in members:
            wallet_freeze(member=member, reason=f"Risk review by {request.user}", by_staff=True)
        self.message_user(request, _("Froze %(n)d wallet(s).") % {"n": len(members)}, messages.WARNING)
