"""Asking for a value change: recorded always, applied at once when small."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cafe_loyalty.core.money import format_money
from cafe_loyalty.models import ValueChange
from cafe_loyalty.value_changes.appliers import record_fields, value_change_apply
from cafe_loyalty.value_changes.sizes import coupon_value, needs_second_manager
from campaigns.models import Coupon, CouponTemplate
from members.models import Member
from payments.models import TopUpBonusRule


def value_change_record(
    *,
    kind: str,
    summary: str,
    payload: dict[str, Any],
    size: int | None,
    member: Member | None,
    reason: str,
    requester: Any,
    needs_approval: bool | None = None,
) -> ValueChange:
    """Record the change and apply it at once (status applied, no approver)
    unless it needs a second manager; then it waits, pending, and nothing is
    applied. `needs_approval` None: as sizes.needs_second_manager says for a
    member's coupons and points. The requester's row is
    locked first, so their own changes are counted against the threshold one
    at a time (two browser tabs do not both fit under it)."""
    now = timezone.now()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=requester.pk).first()
        change = ValueChange.objects.create(
            kind=kind,
            summary=summary[:300],
            payload=payload,
            size=size,
            member=member,
            reason=reason,
            requested_by=requester,
            requested_at=now,
        )
        if needs_approval is None:
            needs_approval = needs_second_manager(kind=kind, size=size, member=member, requester=requester, now=now)
        if needs_approval:
            return change
        value_change_applied(change, approver=None)
    return change


def value_change_applied(change: ValueChange, *, approver: Any) -> ValueChange:
    """Apply the (locked, pending) change and record it applied."""
    result = value_change_apply(change)
    change.status = ValueChange.Status.APPLIED
    change.decided_by, change.decided_at = approver, timezone.now()
    change.result_model, change.result_id = result._meta.label_lower, str(result.pk)
    change.save(update_fields=["status", "decided_by", "decided_at", "result_model", "result_id"])
    return change


def coupon_issue_request(*, member: Member, template: CouponTemplate, reason: str, requester: Any) -> ValueChange:
    value = coupon_value(template)
    return value_change_record(
        kind=ValueChange.Kind.COUPON_ISSUE,
        summary=f"{template.name} (≤ {_shown(value)}) → {member.card_number}",
        payload={"template": template.pk},
        size=value,
        member=member,
        reason=reason,
        requester=requester,
    )


def coupon_unredeem_request(*, coupon: Coupon, reason: str, requester: Any) -> ValueChange:
    value = coupon_value(coupon.template)
    return value_change_record(
        kind=ValueChange.Kind.COUPON_UNREDEEM,
        summary=f"{coupon.code} {coupon.template.name} (≤ {_shown(value)}) → {coupon.member.card_number}",
        payload={"coupon": coupon.pk},
        size=value,
        member=coupon.member,
        reason=reason,
        requester=requester,
    )


def points_adjust_request(*, member: Member, points: int, reason: str, requester: Any) -> ValueChange:
    if points == 0 or not reason.strip():
        raise ValueError("an adjustment needs non-zero points and a reason")
    return value_change_record(
        kind=ValueChange.Kind.POINTS_ADJUSTMENT,
        summary=f"{points:+d} → {member.card_number}",
        payload={"points": points},
        size=abs(points),
        member=member,
        reason=reason,
        requester=requester,
    )


def coupon_template_request(*, template: CouponTemplate, reason: str, requester: Any) -> ValueChange:
    """Creating or changing a template (`template` carries the form's values,
    unsaved): campaigns, rewards and birthdays issue its coupons with nobody
    looking, so an active template whose coupon can be worth more than the
    coupon threshold (any percentage) needs a second manager. Switching a
    template off, or one under the threshold, applies at once."""
    value = coupon_value(template)
    over = value is None or value > settings.CAFE_FOUR_EYES_COUPON_VALUE
    return value_change_record(
        kind=ValueChange.Kind.COUPON_TEMPLATE,
        summary=f"{template.name} (≤ {_shown(value)}){'' if template.is_active else ' [off]'}",
        payload={"pk": template.pk, "fields": record_fields(template)},
        size=value,
        member=None,
        reason=reason,
        requester=requester,
        needs_approval=template.is_active and over,
    )


def bonus_rule_request(*, rule: TopUpBonusRule, reason: str, requester: Any) -> ValueChange:
    """Creating or changing a top-up bonus rule (`rule` carries the form's
    values, unsaved): a running rule adds value to every top-up, so every
    active rule needs a second manager. Switching one off applies at once, so
    a single manager can stop a mistaken rule in an incident."""
    return value_change_record(
        kind=ValueChange.Kind.BONUS_RULE,
        summary=(
            f"{rule.name}: {format_money(rule.min_amount or 0)} → +{format_money(rule.bonus or 0)}"
            f"{'' if rule.is_active else ' [off]'}"
        ),
        payload={"pk": rule.pk, "fields": record_fields(rule)},
        size=rule.bonus,
        member=None,
        reason=reason,
        requester=requester,
        needs_approval=rule.is_active,
    )


def _shown(value: int | None) -> str:
    return "?" if value is None else format_money(value)
