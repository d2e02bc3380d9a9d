"""The rules one statement defines (members.selectors.member_activity), read
the same by every path: the 12-month tier qualification and today's points
from orders for the daily cap. Each runs on SQLite and, in the PostgreSQL
suite, on PostgreSQL, since the statement is SQL."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.earning import points_quote
from campaigns.models import EarnRule
from members.models import Member, PointsPolicy
from members.points import points_earn, points_reverse_for_refund, points_spend
from members.selectors import (
    QUALIFYING_WINDOW,
    Qualification,
    member_order_points_today,
    points_problems,
    qualification,
)
from members.tiers import member_lock_for_order, member_record_visit

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")


@pytest.fixture(autouse=True, params=["db", pytest.param("pg", marks=pytest.mark.postgres)])
def _on_each_database(request: pytest.FixtureRequest) -> None:
    """Once in the SQLite suite and once in the PostgreSQL suite."""


def on_the_payment_path(member: Member, at: datetime) -> tuple[Qualification, int]:
    with transaction.atomic():
        activity = member_lock_for_order(member=member, at=at, reference="this-order")
    return activity.before, activity.order_points_today


def test_qualification_counts_what_happened_strictly_inside_the_last_365_days(
    make_member: Callable[..., Member],
) -> None:
    member = make_member()
    now = datetime(2026, 6, 15, 12, 0, tzinfo=TAIPEI)
    edge = now - QUALIFYING_WINDOW
    points_earn(member=member, points=100, source="order", reference="at-edge", earned_at=edge)
    points_earn(member=member, points=10, source="order", reference="inside", earned_at=edge + timedelta(seconds=1))
    points_earn(member=member, points=1, source="order", reference="today", earned_at=now)
    member_record_visit(member=member, amount=10_000, at=edge, reference="at-edge")
    member_record_visit(member=member, amount=10_000, at=edge + timedelta(seconds=1), reference="inside")
    member_record_visit(member=member, amount=10_000, at=now, reference="today")

    expected = Qualification(points_12m=11, visits_12m=2)
    assert qualification(member=member, now=now) == expected
    assert on_the_payment_path(member, now)[0] == expected
    # A second later the oldest counted points and visit drop out too.
    later = now + timedelta(seconds=1)
    assert qualification(member=member, now=later) == Qualification(points_12m=1, visits_12m=1)


def test_refund_reversals_reduce_qualification_spending_does_not_and_it_never_goes_below_zero(
    make_member: Callable[..., Member],
) -> None:
    policy = PointsPolicy.current()
    policy.expiry_months = 36  # the old lot is still there to reverse
    policy.save()
    member = make_member()
    now = timezone.now()
    points_earn(member=member, points=100, source="order", reference="recent")
    points_spend(member=member, points=30, source="reward", reference="coffee")
    assert qualification(member=member, now=now) == Qualification(points_12m=100, visits_12m=0)

    points_reverse_for_refund(
        member=member, reference="recent", refund_amount=500, original_amount=1_000, refund_reference="r1"
    )
    assert qualification(member=member, now=timezone.now()).points_12m == 50

    # Points earned before the window, reversed inside it: the reversal counts
    # against this year's points, and the total stops at zero.
    points_earn(member=member, points=200, source="order", reference="old", earned_at=now - timedelta(days=400))
    points_reverse_for_refund(
        member=member, reference="old", refund_amount=1_000, original_amount=1_000, refund_reference="r2"
    )
    at = timezone.now()
    assert qualification(member=member, now=at) == Qualification(points_12m=0, visits_12m=0)
    assert on_the_payment_path(member, at)[0] == Qualification(points_12m=0, visits_12m=0)
    assert points_problems() == []


def test_todays_order_points_start_at_local_midnight_and_count_orders_only(
    make_member: Callable[..., Member],
) -> None:
    member = make_member()
    at = datetime(2026, 6, 15, 10, 0, tzinfo=TAIPEI)
    midnight = datetime(2026, 6, 15, 0, 0, tzinfo=TAIPEI)  # 16:00 UTC the day before
    points_earn(
        member=member, points=5, source="order", reference="yesterday", earned_at=midnight - timedelta(seconds=1)
    )
    points_earn(member=member, points=7, source="order", reference="first-today", earned_at=midnight)
    points_earn(member=member, points=3, source="birthday", reference="gift", earned_at=at)

    assert member_order_points_today(member=member, at=at) == 7
    assert on_the_payment_path(member, at)[1] == 7
    # The daily cap leaves room for what today's orders have not used.
    EarnRule.objects.update_or_create(pk=1, defaults={"max_points_per_order": 1_000, "max_points_per_day": 10})
    assert points_quote(member=member, lines=[], total_paid=500_000, store_slug=None, at=at).points == 3
    assert points_problems() == []
