"""The member's "download my data" includes what issue #17's campaigns
recorded about them: the extra points promotions gave their orders, the news
messages sent to them and the ends-soon reminders, each as recorded, and
nobody else's."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from campaigns.broadcasts import broadcast_send
from campaigns.coupons import coupon_issue
from campaigns.loyalty import promotion_awards_record
from campaigns.models import Broadcast, Coupon, CouponTemplate, Promotion
from campaigns.reminders import reminders_send
from members.models import Member
from members.services import consent_record

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Taipei"))


def test_export_lists_promotion_awards_messages_and_reminders(
    member_client: Client, member: Member, make_member: Callable[..., Member]
) -> None:
    empty = member_client.get("/me/privacy/export.json").json()
    assert (empty["promotion_awards"], empty["messages"], empty["reminders"]) == ([], [], [])
    other = make_member("Other")
    for someone in (member, other):
        consent_record(member=someone, channel="email", purpose="marketing", granted=True)
        consent_record(member=someone, channel="email", purpose="activity", granted=True)
    double = Promotion.objects.create(name="Double Tuesday", multiplier_percent=200)
    promotion_awards_record(member=member, reference="order:7", at=NOON, points={double.pk: 30})
    promotion_awards_record(member=other, reference="order:8", at=NOON, points={double.pk: 5})
    news = Broadcast.objects.create(
        title_en="New: osmanthus latte", status=Broadcast.Status.SCHEDULED, scheduled_at=NOON
    )
    broadcast_send(broadcast=news, now=NOON)
    template = CouponTemplate.objects.create(name="Free latte", kind="free_item")
    coupon = coupon_issue(member=member, template=template, source="manual", now=NOON - timedelta(days=20))
    Coupon.objects.filter(pk=coupon.pk).update(expires_at=NOON + timedelta(days=2))
    reminders_send(now=NOON)

    data = member_client.get("/me/privacy/export.json").json()
    at = NOON.astimezone(UTC).isoformat()  # stored and exported in UTC, as the rest of the export

    assert data["promotion_awards"] == [{"promotion": "Double Tuesday", "order": "order:7", "points": 30, "at": at}]
    assert data["messages"] == [{"message": "New: osmanthus latte", "by_email": True, "at": at}]
    assert data["reminders"] == [{"kind": "coupon", "object_id": coupon.pk, "at": at}]
