"""Back office for the incident switch: pause wallet payments (every store or
one) with a reason, and lift a pause with a reason. Pauses are records: they
are never edited or deleted, only lifted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from payments.exceptions import WalletError
from payments.forms import WalletPauseForm, WalletPauseLiftForm
from payments.models import Store, WalletPause
from payments.services.pauses import PAUSE_PERMISSION, wallet_payments_pause, wallet_payments_resume


class OpenListFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("In force")), ("lifted", _("Lifted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WalletPause]) -> QuerySet[WalletPause]:
        if self.value() == "open":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(WalletPause)
class WalletPauseAdmin(admin.ModelAdmin):
    list_display = ["scope", "reason", "set_by", "set_at", "in_force", "lifted_by", "lifted_at", "lift_reason"]
    list_filter = [OpenListFilter, "store"]
    list_select_related = ["store", "set_by", "lifted_by"]
    fields = ["store", "reason", "set_by", "set_at", "lifted_by", "lifted_at", "lift_reason", "alert"]
    readonly_fields = ["store", "reason", "set_by", "set_at", "lifted_by", "lifted_at", "lift_reason", "alert"]
    actions = ["lift"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pausing is its own form (pause_view), through the service

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_pause_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PAUSE_PERMISSION)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {"can_pause": self.has_pause_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    @admin.display(description=_("where"), ordering="store__name")
    def scope(self, obj: WalletPause) -> str:
        return obj.store.name if obj.store else str(_("All stores"))

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj: WalletPause) -> bool:
        return obj.is_open

    def get_urls(self) -> list[Any]:
        return [
            path("pause/", self.admin_site.admin_view(self.pause_view), name="payments_walletpause_pause")
        ] + super().get_urls()

    def pause_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_pause_permission(request):
            raise PermissionDenied
        form = WalletPauseForm(request.POST or None, stores=Store.objects.filter(is_active=True))
        if request.method == "POST" and form.is_valid():
            try:
                pause = wallet_payments_pause(
                    store=form.cleaned_data["store"], reason=form.cleaned_data["reason"], by=request.user
                )
            except WalletError as exc:
                form.add_error(None, exc.detail)
            else:
                self.log_addition(request, pause, f"Paused wallet payments: {pause.reason}")
                done = (
                    _("Wallet payments are paused at %(store)s.") % {"store": pause.store.name}
                    if pause.store
                    else _("Wallet payments are paused at all stores.")
                )
                self.message_user(request, done, messages.WARNING)
                return redirect("admin:payments_walletpause_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Pause wallet payments"),
            "opts": self.opts,
            "open_pauses": WalletPause.objects.filter(lifted_at__isnull=True).select_related("store"),
        }
        return render(request, "admin/payments/walletpause/pause.html", context)

    @admin.action(description=_("Lift the selected pauses (with a reason)"), permissions=["pause"])
    def lift(self, request: HttpRequest, queryset: QuerySet[WalletPause]) -> HttpResponse | None:
        pauses = list(queryset.filter(lifted_at__isnull=True).select_related("store"))
        form = WalletPauseLiftForm(request.POST if "apply" in request.POST else None)
        if not pauses:
            self.message_user(request, _("None of the selected pauses is in force."), messages.WARNING)
            return None
        if form.is_valid():
            lifted = 0
            for pause in pauses:
                try:
                    wallet_payments_resume(pause=pause, reason=form.cleaned_data["lift_reason"], by=request.user)
                except WalletError as exc:
                    self.message_user(request, f"{self.scope(pause)}: {exc.detail}", messages.WARNING)
                else:
                    self.log_change(request, pause, f"Lifted the pause: {form.cleaned_data['lift_reason']}")
                    lifted += 1
            self.message_user(request, _("Lifted %(n)d pause(s).") % {"n": lifted}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "pauses": pauses,
            "action": "lift",
            "title": _("Lift wallet payments pauses"),
            "opts": self.opts,
        }
        return render(request, "admin/payments/walletpause/lift.html", context)
