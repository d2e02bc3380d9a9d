"""Messages and reminders sent by runs that overlap (cron starting a job while
the last one is still going) reach each member once, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.broadcasts import broadcast_send
from campaigns.coupons import coupon_issue
from campaigns.models import Broadcast, BroadcastDelivery, Coupon, CouponTemplate, Reminder
from campaigns.reminders import reminders_send
from members.models import Member, Notice
from members.services import consent_record
from tests.helpers import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_overlapping_runs_send_a_message_to_each_member_once(make_member: Callable[..., Member]) -> None:
    assert connection.vendor == "postgresql"
    members = [make_member(f"M{i}") for i in range(30)]
    for member in members:
        consent_record(member=member, channel="email", purpose="marketing", granted=True)
    broadcast = Broadcast.objects.create(title_en="Hello", status="scheduled", scheduled_at=timezone.now())
    runs = run_concurrently(4, lambda i: broadcast_send(broadcast=Broadcast.objects.get(pk=broadcast.pk)))
    assert sum(run.sent for run in runs) == 30
    assert BroadcastDelivery.objects.count() == Notice.objects.filter(kind="news").count() == 30
    assert set(Notice.objects.filter(kind="news").values_list("member", flat=True)) == {m.pk for m in members}


def test_overlapping_reminder_runs_tell_each_member_once(make_member: Callable[..., Member]) -> None:
    assert connection.vendor == "postgresql"
    template = CouponTemplate.objects.create(name="Free latte", kind="free_item")
    for i in range(20):
        member = make_member(f"R{i}")
        consent_record(member=member, channel="email", purpose="marketing", granted=True)
        coupon = coupon_issue(member=member, template=template, source="t")
        Coupon.objects.filter(pk=coupon.pk).update(expires_at=timezone.now() + timedelta(days=1))
    now = timezone.now()
    run_concurrently(4, lambda i: reminders_send(now=now))
    assert Reminder.objects.count() == 20
    assert Notice.objects.filter(title__startswith="Your coupon").count() == 20
