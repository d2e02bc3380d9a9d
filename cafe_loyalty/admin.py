"""The admin's four eyes on manager-made value, and its log.

The lower apps register their own admins; this top layer re-registers the
ones where a manager creates value (coupons, coupon templates, top-up bonus
rules, points adjustments) so that saving asks for a ValueChange instead
(cafe_loyalty.value_changes): applied at once when small, else waiting for a
second manager in "Value changes"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import campaigns.admin
import members.admin
import payments.admin
from cafe_loyalty.admin_offer_links import OffersReportLink
from cafe_loyalty.core.admin_records import ReadOnlyAdmin
from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.problems import Problem
from cafe_loyalty.models import ValueChange
from cafe_loyalty.value_changes.decisions import value_change_approve, value_change_reject
from cafe_loyalty.value_changes.requests import (
    bonus_rule_request,
    coupon_issue_request,
    coupon_template_request,
    coupon_unredeem_request,
    points_adjust_request,
)
from campaigns.admin_clv import MemberValueInline
from campaigns.models import Coupon, CouponTemplate, Promotion
from members.models import Member
from payments.models import TopUpBonusRule

WAITING = _("Waiting for a second manager's approval: %(change)s")
# What can go wrong applying a change that waited (the rule or coupon changed
# meanwhile, the member has no points left to take): the change stays pending.
APPLY_ERRORS = (Problem, ValidationError, ObjectDoesNotExist, ValueError)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


# --- Forms that ask instead of saving ------------------------------------------


class FourEyesSaveMixin:
    """save_model asks for a value change (`value_change_for`) instead of
    saving. Applied at once, the admin carries on as after a save; pending,
    there is no object yet, so the admin says so and shows the change."""

    def value_change_for(self, request: HttpRequest, obj: Any, form: Any) -> ValueChange:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        value_change = self.value_change_for(request, obj, form)
        obj._value_change = value_change
        if value_change.status == ValueChange.Status.APPLIED:
            obj.pk = obj._meta.pk.to_python(value_change.result_id)

    def _pending(self, obj: Any) -> ValueChange | None:
        value_change = getattr(obj, "_value_change", None)
        return value_change if value_change and value_change.status == ValueChange.Status.PENDING else None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not self._pending(form.instance):
            super().save_related(request, form, formsets, change)  # type: ignore[misc]

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if self._pending(obj) else super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if self._pending(obj) else super().log_change(request, obj, message)  # type: ignore[misc]

    def _waiting(self, request: HttpRequest, value_change: ValueChange) -> HttpResponse:
        self.message_user(request, WAITING % {"change": value_change.summary}, messages.WARNING)  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse("admin:cafe_loyalty_valuechange_change", args=[value_change.pk]))

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> HttpResponse:
        pending = self._pending(obj)
        return self._waiting(request, pending) if pending else super().response_add(request, obj, post_url_continue)  # type: ignore[misc]

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        pending = self._pending(obj)
        return self._waiting(request, pending) if pending else super().response_change(request, obj)  # type: ignore[misc]


def _reasoned(model: type[Model]) -> type[forms.ModelForm]:
    return type(
        f"{model.__name__}ReasonForm",
        (forms.ModelForm,),
        {
            "reason": forms.CharField(
                label=_("reason"), max_length=300, help_text=_("Kept in the value-change log with the change.")
            )
        },
    )


admin.site.unregister(CouponTemplate)


@admin.register(CouponTemplate)
class CouponTemplateAdmin(FourEyesSaveMixin, OffersReportLink, campaigns.admin.CouponTemplateAdmin):
    form = _reasoned(CouponTemplate)
    offers_filter = "template"

    def value_change_for(self, request: HttpRequest, obj: Any, form: Any) -> ValueChange:
        return coupon_template_request(template=obj, reason=form.cleaned_data["reason"], requester=request.user)


admin.site.unregister(Promotion)


@admin.register(Promotion)
class PromotionAdmin(OffersReportLink, campaigns.admin.PromotionAdmin):
    offers_filter = "promotion"


admin.site.unregister(TopUpBonusRule)


@admin.register(TopUpBonusRule)
class TopUpBonusRuleAdmin(FourEyesSaveMixin, payments.admin.TopUpBonusRuleAdmin):
    form = _reasoned(TopUpBonusRule)

    def value_change_for(self, request: HttpRequest, obj: Any, form: Any) -> ValueChange:
        return bonus_rule_request(rule=obj, reason=form.cleaned_data["reason"], requester=request.user)


admin.site.unregister(Coupon)


@admin.register(Coupon)
class CouponAdmin(FourEyesSaveMixin, campaigns.admin.CouponAdmin):
    """A coupon is issued here by template and member (the code and dates are
    the programme's); an issued coupon is read-only, and giving a used one
    back is the "Un-redeem" action."""

    form = _reasoned(Coupon)
    actions = ["unredeem"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["template", "member", "reason"]
        return self._as_money([f.name for f in Coupon._meta.fields[1:]])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_unredeem_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("campaigns.change_coupon"))

    def value_change_for(self, request: HttpRequest, obj: Any, form: Any) -> ValueChange:
        return coupon_issue_request(
            member=obj.member, template=obj.template, reason=form.cleaned_data["reason"], requester=request.user
        )

    @admin.action(description=_("Un-redeem: give used coupons back (with a reason)"), permissions=["unredeem"])
    def unredeem(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        used = queryset.filter(redeemed_at__isnull=False).select_related("template", "member")
        if not form.is_valid():
            return _action_form(request, form, objects=used, action="unredeem", title=_("Un-redeem coupons"))
        for coupon in used:
            try:
                change = coupon_unredeem_request(
                    coupon=coupon, reason=form.cleaned_data["reason"], requester=request.user
                )
            except APPLY_ERRORS as exc:
                self.message_user(request, f"{coupon}: {_why(exc)}", messages.WARNING)
                continue
            _report(self, request, change)
        return None


admin.site.unregister(Member)


@admin.register(Member)
class MemberAdmin(members.admin.MemberAdmin):
    # The member's predicted value lives in campaigns, above members: added here.
    inlines = [*members.admin.MemberAdmin.inlines, MemberValueInline]

    @admin.action(description=_("Adjust points (with a reason)"), permissions=["change"])
    def adjust_points(self, request: HttpRequest, queryset: QuerySet[Member]) -> object:
        form = members.admin.AdjustPointsForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _action_form(request, form, objects=queryset, action="adjust_points", title=_("Adjust points"))
        for member in queryset:
            try:
                change = points_adjust_request(
                    member=member,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    requester=request.user,
                )
            except APPLY_ERRORS as exc:
                self.message_user(request, f"{member}: {_why(exc)}", messages.WARNING)
                continue
            _report(self, request, change)
        return None


def _why(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _action_form(request: HttpRequest, form: forms.Form, *, objects: Any, action: str, title: Any) -> HttpResponse:
    return render(
        request,
        "admin/value_changes/action_form.html",
        {"form": form, "objects": objects, "action": action, "title": title},
    )


def _report(model_admin: admin.ModelAdmin, request: HttpRequest, change: ValueChange) -> None:
    if change.status == ValueChange.Status.PENDING:
        model_admin.message_user(request, WAITING % {"change": change.summary}, messages.WARNING)
    else:
        model_admin.message_user(request, _("Done: %(change)s") % {"change": change.summary}, messages.SUCCESS)


# --- The log, and the second manager's decision ---------------------------------


@admin.register(ValueChange)
class ValueChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "requested_at",
        "kind",
        "summary",
        "size_display",
        "status",
        "requested_by",
        "reason",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "kind", "requested_at"]
    search_fields = ["summary", "reason", "member__card_number", "requested_by__email"]
    list_select_related = ["requested_by", "decided_by", "member"]
    readonly_fields = [
        "kind",
        "status",
        "summary",
        "size_display",
        "member",
        "reason",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "result",
        "payload",
    ]
    fields = list(readonly_fields)
    actions = ["approve", "reject"]
    show_full_result_count = False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("cafe_loyalty.decide_valuechange"))

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj: ValueChange) -> str:
        if obj.size is None:
            return str(_("no upper bound"))
        if obj.kind == ValueChange.Kind.POINTS_ADJUSTMENT:
            return str(_("%(points)s points") % {"points": obj.size})
        return format_money(obj.size)

    @admin.display(description=_("result"))
    def result(self, obj: ValueChange) -> str:
        return f"{obj.result_model} #{obj.result_id}" if obj.result_id else "—"

    @admin.action(description=_("Approve and apply (a manager other than the requester)"), permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[ValueChange]) -> None:
        for change in queryset.order_by("pk"):
            try:
                applied = value_change_approve(change_id=change.pk, approver=request.user)
            except APPLY_ERRORS as exc:
                self.message_user(request, f"{change}: {_why(exc)}", messages.ERROR)
                continue
            self.message_user(request, _("Approved and applied: %(change)s") % {"change": applied}, messages.SUCCESS)

    @admin.action(description=_("Reject (nothing is applied)"), permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[ValueChange]) -> None:
        for change in queryset.order_by("pk"):
            try:
                rejected = value_change_reject(change_id=change.pk, by=request.user)
            except APPLY_ERRORS as exc:
                self.message_user(request, f"{change}: {_why(exc)}", messages.ERROR)
                continue
            self.message_user(request, _("Rejected: %(change)s") % {"change": rejected}, messages.SUCCESS)
