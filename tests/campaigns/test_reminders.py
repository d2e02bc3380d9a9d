"""Ends-soon reminders: coupons, rewards, points and promotions, once per item,
only with consent, never in quiet hours, in the member's language."""

from __future__ import annotations

import io
import zoneinfo
from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import Coupon, CouponTemplate, Promotion, Reminder
from campaigns.reminders import reminders_send
from members.models import Member, Notice, PointsLot, PointsPolicy, Visit
from members.points import points_earn, points_spend
from members.points_expiry import points_expire_due
from members.services import consent_record

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=TAIPEI)


def agreed(member: Member, *purposes: str) -> Member:
    for purpose in purposes or ("marketing", "activity"):
        consent_record(member=member, channel="email", purpose=purpose, granted=True)
    return member


def coupon(member: Member, *, expires_in: timedelta, source: str = "manual", name: str = "Free latte") -> Coupon:
    template, _ = CouponTemplate.objects.get_or_create(name=name, defaults={"kind": "free_item"})
    issued = coupon_issue(member=member, template=template, source=source, now=NOON - timedelta(days=20))
    Coupon.objects.filter(pk=issued.pk).update(expires_at=NOON + expires_in)
    return issued


def points_lot(member: Member, points: int, *, expires_in: timedelta) -> PointsLot:
    lot = points_earn(member=member, points=points, source="test", reference=f"t:{points}:{expires_in}", notify=False)
    assert lot is not None
    PointsLot.objects.filter(pk=lot.pk).update(expires_at=NOON + expires_in)
    return lot


def reminders(member: Member) -> list[str]:
    """The reminder notices the member got (not the coupon's own 'New coupon')."""
    return list(member.notices.exclude(title__startswith="New coupon").order_by("pk").values_list("title", flat=True))


def test_a_coupon_expiring_within_the_days_is_reminded_once(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    soon = coupon(member, expires_in=timedelta(days=2, hours=23))
    coupon(member, expires_in=timedelta(days=3, hours=1))  # beyond the 3 days
    assert reminders_send(now=NOON)[Reminder.Kind.COUPON] == 1
    assert reminders(member) == ["Your coupon Free latte expires on 2026-12-04 11:00"]
    assert soon.code in member.notices.get(title__startswith="Your coupon").body
    assert reminders_send(now=NOON + timedelta(minutes=30))[Reminder.Kind.COUPON] == 0
    assert len(reminders(member)) == 1
    # A day later the other coupon is within the days: told about it, once.
    assert reminders_send(now=NOON + timedelta(days=1))[Reminder.Kind.COUPON] == 1
    assert Reminder.objects.filter(kind="coupon").count() == 2


def test_no_reminder_for_a_redeemed_or_an_expired_coupon(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    used = coupon(member, expires_in=timedelta(days=1))
    Coupon.objects.filter(pk=used.pk).update(redeemed_at=NOON - timedelta(days=1), order_reference="order:1")
    coupon(member, expires_in=-timedelta(minutes=1))
    assert reminders_send(now=NOON)[Reminder.Kind.COUPON] == 0
    assert reminders(member) == [] and not Reminder.objects.exists()


def test_a_reward_coupon_is_reminded_as_the_reward(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    coupon(member, expires_in=timedelta(days=1), source="reward", name="Cake of the day")
    told = reminders_send(now=NOON)
    assert (told[Reminder.Kind.REWARD], told[Reminder.Kind.COUPON]) == (1, 0)
    assert reminders(member) == ["Your reward Cake of the day expires on 2026-12-02 12:00"]


def test_points_expiring_within_the_days_are_told_once_in_one_notice(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    points_lot(member, 120, expires_in=timedelta(days=1))
    points_lot(member, 80, expires_in=timedelta(days=2))
    later = points_lot(member, 500, expires_in=timedelta(days=10))
    assert reminders_send(now=NOON)[Reminder.Kind.POINTS] == 1
    notice = member.notices.get(kind="points")
    assert notice.title == "200 points expire on 2026-12-02 12:00"
    assert notice.link == "/me/points/"
    assert reminders_send(now=NOON)[Reminder.Kind.POINTS] == 0
    # The later lot is told about when its time comes, and only it.
    assert reminders_send(now=NOON + timedelta(days=8))[Reminder.Kind.POINTS] == 1
    assert member.notices.filter(kind="points").first().title == "500 points expire on 2026-12-11 12:00"  # type: ignore[union-attr]
    assert Reminder.objects.get(object_id=later.pk).kind == "points"


def test_spent_or_expired_points_are_not_reminded(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    points_lot(member, 50, expires_in=timedelta(days=1))
    points_spend(member=member, points=50, source="Reward", reference="coupon:X")
    points_lot(member, 70, expires_in=-timedelta(hours=1))  # past its time, the expiry job not run yet
    assert reminders_send(now=NOON)[Reminder.Kind.POINTS] == 0
    points_expire_due(now=NOON)
    assert reminders_send(now=NOON)[Reminder.Kind.POINTS] == 0


def test_a_promotion_ending_soon_reaches_members_who_qualify(make_member: Callable[..., Member]) -> None:
    regular, elsewhere, everyone_member = (agreed(make_member(name)) for name in ("Daan", "Other", "Any"))
    Visit.objects.create(member=regular, at=NOON - timedelta(days=5), reference="v1", store_slug="daan")
    Visit.objects.create(member=elsewhere, at=NOON - timedelta(days=5), reference="v2", store_slug="xinyi")
    Promotion.objects.create(name="Daan double points", ends_at=NOON + timedelta(days=2), store_slugs="daan")
    Promotion.objects.create(name="Member day", is_member_day=True, ends_at=NOON + timedelta(days=1))
    Promotion.objects.create(name="Far off", ends_at=NOON + timedelta(days=30))
    Promotion.objects.create(name="Over", ends_at=NOON - timedelta(hours=1))
    Promotion.objects.create(name="Off", is_active=False, ends_at=NOON + timedelta(days=1))
    assert reminders_send(now=NOON)[Reminder.Kind.PROMOTION] == 4
    assert sorted(reminders(regular)) == [
        "Daan double points ends on 2026-12-03 12:00",
        "Member day ends on 2026-12-02 12:00",
    ]
    assert reminders(elsewhere) == reminders(everyone_member) == ["Member day ends on 2026-12-02 12:00"]
    assert reminders_send(now=NOON + timedelta(hours=2))[Reminder.Kind.PROMOTION] == 0


def test_reminders_need_consent_for_their_purpose(make_member: Callable[..., Member]) -> None:
    offers_only = agreed(make_member("Offers"), "marketing")
    points_only = agreed(make_member("Points"), "activity")
    nothing = make_member("Nothing")
    for member in (offers_only, points_only, nothing):
        coupon(member, expires_in=timedelta(days=1))
        points_lot(member, 100, expires_in=timedelta(days=1))
    told = reminders_send(now=NOON)
    assert (told[Reminder.Kind.COUPON], told[Reminder.Kind.POINTS]) == (1, 1)
    assert [kind for kind in offers_only.notices.exclude(title__startswith="New").values_list("kind", flat=True)] == [
        Notice.Kind.OFFER
    ]
    assert list(points_only.notices.exclude(title__startswith="New").values_list("kind", flat=True)) == ["points"]
    assert reminders(nothing) == []


def test_reminders_wait_for_quiet_hours_to_end(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    policy = PointsPolicy.current()
    policy.quiet_hours_start, policy.quiet_hours_end = time(21), time(9)
    policy.save()
    coupon(member, expires_in=timedelta(days=2))
    night = datetime(2026, 12, 1, 23, 30, tzinfo=TAIPEI)
    assert reminders_send(now=night) == {}
    assert reminders(member) == []
    assert reminders_send(now=night + timedelta(hours=10))[Reminder.Kind.COUPON] == 1


def test_the_number_of_days_is_the_programme_setting(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    coupon(member, expires_in=timedelta(days=5))
    assert reminders_send(now=NOON)[Reminder.Kind.COUPON] == 0
    policy = PointsPolicy.current()
    policy.reminder_days = 7
    policy.save()
    assert reminders_send(now=NOON)[Reminder.Kind.COUPON] == 1


def test_reminders_are_in_the_members_language(make_member: Callable[..., Member]) -> None:
    hant = agreed(make_member("Mei", preferred_language="zh-hant"))
    hans = agreed(make_member("Li", preferred_language="zh-hans"))
    for member in (hant, hans):
        points_lot(member, 1500, expires_in=timedelta(days=1))
    reminders_send(now=NOON)
    assert hant.notices.get(kind="points").title == "1,500 點將於 2026-12-02 12:00 到期"
    assert hans.notices.get(kind="points").title == "1,500 积分将于 2026-12-02 12:00 到期"


def test_the_command_runs_every_kind_and_is_safe_to_rerun(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    coupon(member, expires_in=timedelta(days=1) + (timezone.now() - NOON))
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "coupon: 1 member(s) reminded." in out.getvalue()
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "coupon: 0 member(s) reminded." in out.getvalue()
