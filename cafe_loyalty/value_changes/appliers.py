"""Carry out a value change through the service of the app that owns it."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from cafe_loyalty.models import ValueChange
from campaigns.coupons import coupon_issue, coupon_unredeem
from campaigns.models import CouponTemplate
from members.points import points_adjust
from payments.models import TopUpBonusRule


def record_fields(instance: Model) -> dict[str, Any]:
    """The editable fields of a (possibly unsaved) rule row, as JSON can hold
    them (DjangoJSONEncoder writes dates as ISO text; record_save reads them back)."""
    return {
        field.name: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if field.editable and not field.primary_key
    }


def record_save(model: type[Model], *, pk: Any, fields: dict[str, Any]) -> Model:
    """Create (pk None) or update the rule row with these fields, validated as
    the admin form validated them."""
    instance = model._default_manager.get(pk=pk) if pk is not None else model()
    for name, value in fields.items():
        field = model._meta.get_field(name)
        setattr(instance, field.attname, field.to_python(value))  # type: ignore[union-attr]
    instance.full_clean()
    instance.save()
    return instance


def value_change_apply(change: ValueChange) -> Model:
    """Apply the change (inside the caller's transaction) and return what it
    created or changed."""
    payload = change.payload
    if change.kind == ValueChange.Kind.COUPON_ISSUE:
        assert change.member is not None
        template = CouponTemplate.objects.get(pk=payload["template"])
        return coupon_issue(member=change.member, template=template, source="manual")
    if change.kind == ValueChange.Kind.COUPON_UNREDEEM:
        return coupon_unredeem(coupon_id=payload["coupon"])
    if change.kind == ValueChange.Kind.POINTS_ADJUSTMENT:
        assert change.member is not None
        return points_adjust(
            member=change.member, points=payload["points"], reason=change.reason, actor=change.requested_by
        )
    if change.kind == ValueChange.Kind.COUPON_TEMPLATE:
        return record_save(CouponTemplate, pk=payload["pk"], fields=payload["fields"])
    if change.kind == ValueChange.Kind.BONUS_RULE:
        return record_save(TopUpBonusRule, pk=payload["pk"], fields=payload["fields"])
    raise ValueError(f"unknown kind of value change: {change.kind}")
