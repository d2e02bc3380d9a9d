"""Paying offline in the admin (issue 18), read-only: members' certificates
(what each may spend, has spent and what was lost to a copied code), the
sales offline tills sent (created, or refused and why) and the programme's
public keys. Every change goes through the services (turning it off,
freezing the wallet, the sync); here managers look."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.admin_records import ReadOnlyAdmin
from cafe_loyalty.core.money import format_money
from payments.models import OfflineCertificate, OfflineCodeUse, OfflineProgrammeKey, OfflineSale


class LossFilter(admin.SimpleListFilter):
    """Certificates a copied code cost the programme money on."""

    title = _("loss")
    parameter_name = "loss"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("With a loss")), ("no", _("No loss"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(lost__gt=0)
        if self.value() == "no":
            return queryset.filter(lost=0)
        return queryset


class RefusalCodeFilter(admin.SimpleListFilter):
    """The refusal codes offline sales were refused with (a created sale has none)."""

    title = _("refusal code")
    parameter_name = "code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        codes = OfflineSale.objects.exclude(code="").order_by("code").values_list("code", flat=True).distinct()
        return [(code, code) for code in codes]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(code=self.value()) if self.value() else queryset


@admin.register(OfflineCertificate)
class OfflineCertificateAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "member",
        "status",
        "allowance",
        "spent",
        "lost",
        "left_display",
        "created_at",
        "expires_at",
        "end_reason",
    ]
    list_filter = ["status", LossFilter, "kid", "created_at"]
    search_fields = ["=pk", "member__card_number", "member__display_name", "end_reason"]
    list_select_related = ["member", "hold_account"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    money_fields = ["allowance", "spent", "lost"]
    readonly_fields = ["codes_paid"]

    @admin.display(description=_("left in the hold"))
    def left_display(self, obj: OfflineCertificate) -> str:
        return format_money(obj.hold_account.balance)

    @admin.display(description=_("codes paid at sync"))
    def codes_paid(self, obj: OfflineCertificate) -> str:
        """Each code by its counter (the same counter twice is a copy), as a
        list: a table here would scroll sideways on a phone."""
        uses = OfflineCodeUse.objects.filter(certificate=obj).order_by("counter", "pk")
        items = format_html_join(
            "",
            "<li>{}</li>",
            (
                (
                    _("#%(counter)d: %(amount)s, %(from_hold)s from the hold, %(lost)s lost")
                    % {
                        "counter": use.counter,
                        "amount": format_money(use.amount),
                        "from_hold": format_money(use.from_hold),
                        "lost": format_money(use.lost),
                    },
                )
                for use in uses
            ),
        )
        return format_html("<ul>{}</ul>", items) if items else "—"


@admin.register(OfflineSale)
class OfflineSaleAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "store", "status", "code", "detail", "order", "key"]
    list_filter = ["status", RefusalCodeFilter, "store", "created_at"]
    search_fields = ["key", "detail", "=order__pk"]
    list_select_related = ["store", "order"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ["request_hash"]


@admin.register(OfflineProgrammeKey)
class OfflineProgrammeKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "created_at", "retired_at", "certificates", "active"]
    search_fields = ["kid"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfflineProgrammeKey]:
        # Certificates name their key by kid (not a foreign key): counted in the list's one query.
        signed = OfflineCertificate.objects.filter(kid=OuterRef("kid")).order_by().values("kid")
        active = signed.filter(status=OfflineCertificate.Status.ACTIVE)
        return (
            super()
            .get_queryset(request)
            .annotate(
                signed=Coalesce(Subquery(signed.annotate(n=Count("pk")).values("n")), 0),
                active_count=Coalesce(Subquery(active.annotate(n=Count("pk")).values("n")), 0),
            )
        )

    @admin.display(description=_("certificates signed"), ordering="signed")
    def certificates(self, obj: Any) -> int:
        return int(obj.signed)

    @admin.display(description=_("still active"), ordering="active_count")
    def active(self, obj: Any) -> int:
        return int(obj.active_count)
