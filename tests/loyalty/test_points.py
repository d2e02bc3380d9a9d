"""The points ledger: FIFO, expiry, refunds, adjustments — and check_points after each."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from members.exceptions import InsufficientPoints
from members.models import Member, PointsEntry, PointsLot, PointsPolicy, PointsShortfall
from members.points import (
    expiry_for,
    points_adjust,
    points_earn,
    points_reverse_for_refund,
    points_spend,
)
from members.points_expiry import points_expire_due
from members.selectors import points_problems
from tests.conftest import MemberFactory
from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")


def balance(member: Member) -> int:
    member.refresh_from_db()
    return member.points_balance


def test_spending_takes_the_soonest_expiring_lot_first(make_member: Callable[..., Member]) -> None:
    member = make_member()
    now = timezone.now()
    later = points_earn(member=member, points=100, source="order", reference="a", earned_at=now)
    sooner = points_earn(member=member, points=50, source="order", reference="b", earned_at=now - timedelta(days=200))
    assert later and sooner and sooner.expires_at < later.expires_at
    points_spend(member=member, points=70, source="reward", reference="r1")
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert (sooner.remaining, later.remaining) == (0, 80)
    assert balance(member) == 80
    assert points_problems() == []


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(member=member, points=30, source="order", reference="a")
    with pytest.raises(InsufficientPoints):
        points_spend(member=member, points=31, source="reward", reference="r")
    assert balance(member) == 30
    assert points_problems() == []


def test_points_expire_at_local_midnight_in_the_programme_time_zone(make_member: Callable[..., Member]) -> None:
    member = make_member()
    policy = PointsPolicy.current()
    earned = datetime(2025, 3, 15, 23, 30, tzinfo=TAIPEI)  # 15:30 UTC
    expires = expiry_for(earned_at=earned, policy=policy)
    assert expires == datetime(2026, 3, 16, 0, 0, tzinfo=TAIPEI)  # 12 months, through the whole day
    points_earn(member=member, points=40, source="order", reference="x", earned_at=earned)
    just_before = expires - timedelta(seconds=1)
    assert points_expire_due(now=just_before) == 0
    assert balance(member) == 40
    assert points_expire_due(now=expires) == 1
    assert balance(member) == 0
    assert points_expire_due(now=expires + timedelta(days=1)) == 0  # idempotent
    expired = PointsEntry.objects.get(member=member, kind="expire")
    assert expired.points == -40
    assert member.notices.filter(title__contains="expired").exists()
    assert points_problems() == []


def test_end_of_following_year_policy() -> None:
    policy = PointsPolicy(expiry_mode=PointsPolicy.ExpiryMode.END_OF_FOLLOWING_YEAR)
    earned = datetime(2025, 12, 31, 23, 0, tzinfo=TAIPEI)
    assert expiry_for(earned_at=earned, policy=policy) == datetime(2027, 1, 1, tzinfo=TAIPEI)


def test_overdue_lots_are_expired_before_a_spend(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(
        member=member, points=50, source="order", reference="old", earned_at=timezone.now() - timedelta(days=400)
    )
    points_earn(member=member, points=20, source="order", reference="new")
    with pytest.raises(InsufficientPoints):
        points_spend(member=member, points=60, source="reward", reference="r")  # 70 on paper, 20 spendable
    points_spend(member=member, points=20, source="reward", reference="r")
    assert balance(member) == 0
    assert PointsEntry.objects.get(member=member, kind="expire").points == -50
    assert points_problems() == []


def test_partial_refunds_reverse_earned_points_in_proportion_and_add_up(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(member=member, points=15, source="order", reference="order:1")
    first = points_reverse_for_refund(
        member=member, reference="order:1", refund_amount=5_000, original_amount=15_000, refund_reference="refund:1"
    )
    assert first.points_reversed == 5
    again = points_reverse_for_refund(
        member=member, reference="order:1", refund_amount=5_000, original_amount=15_000, refund_reference="refund:1"
    )
    assert again == first and balance(member) == 10  # the same refund twice changes nothing
    points_reverse_for_refund(
        member=member, reference="order:1", refund_amount=3_333, original_amount=15_000, refund_reference="refund:2"
    )
    points_reverse_for_refund(
        member=member, reference="order:1", refund_amount=6_667, original_amount=15_000, refund_reference="refund:3"
    )
    assert balance(member) == 0  # three partial refunds reverse exactly all 15
    assert points_problems() == []


def test_reversal_of_points_already_spent_records_a_shortfall(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(member=member, points=100, source="order", reference="order:7")
    points_spend(member=member, points=80, source="reward", reference="reward:1")
    result = points_reverse_for_refund(
        member=member, reference="order:7", refund_amount=10_000, original_amount=10_000, refund_reference="refund:9"
    )
    assert (result.points_reversed, result.shortfall) == (20, 80)
    assert balance(member) == 0
    assert PointsShortfall.objects.get(member=member).points == 80
    assert points_problems() == []


def test_refund_restores_points_the_order_spent(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(member=member, points=200, source="order", reference="order:1")
    points_spend(member=member, points=100, source="points as money", reference="order:5")
    result = points_reverse_for_refund(
        member=member, reference="order:5", refund_amount=500, original_amount=1_000, refund_reference="refund:5"
    )
    assert result.points_restored == 50
    assert balance(member) == 150
    assert points_problems() == []


def test_manager_adjustments_need_a_reason_and_never_go_below_zero(make_member: Callable[..., Member]) -> None:
    member = make_member()
    with pytest.raises(ValueError):
        points_adjust(member=member, points=10, reason=" ")
    points_adjust(member=member, points=10, reason="goodwill: spilled latte")
    points_adjust(member=member, points=-25, reason="duplicate earn")
    assert balance(member) == 0
    assert list(PointsEntry.objects.filter(member=member).values_list("points", flat=True)) == [-10, 10]
    assert points_problems() == []


@pytest.mark.breaks_invariants
def test_check_points_names_an_inconsistent_member(make_member: Callable[..., Member]) -> None:
    member = make_member("Broken")
    points_earn(member=member, points=10, source="order", reference="a")
    Member.objects.filter(pk=member.pk).update(points_balance=99)
    with pytest.raises(Exception, match="1 member"):
        call_command("check_points")
    assert member.card_number in points_problems()[0]


def test_expire_points_command_is_set_based(
    make_member: Callable[..., Member], django_assert_max_num_queries: Any
) -> None:
    long_ago = timezone.now() - timedelta(days=800)
    for i in range(30):
        points_earn(member=make_member(f"M{i}"), points=5 + i, source="order", reference=f"o{i}", earned_at=long_ago)
    with django_assert_max_num_queries(8):
        assert points_expire_due() == 30
    assert not PointsLot.objects.filter(remaining__gt=0).exists()
    assert points_problems() == []


class PointsPropertyTests(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["earn", "spend", "expire", "refund", "adjust"]),
                st.integers(1, 500),
                st.integers(0, 900),
            ),
            min_size=1,
            max_size=20,
        )
    )
    def test_any_sequence_keeps_check_points_true(self, ops: list[tuple[str, int, int]]) -> None:
        member = MemberFactory.create(display_name="Prop", email="prop@example.com")
        now = timezone.now()
        for i, (op, points, days) in enumerate(ops):
            try:
                if op == "earn":
                    points_earn(
                        member=member,
                        points=points,
                        source="order",
                        reference=f"o{i % 3}",
                        earned_at=now - timedelta(days=days),
                    )
                elif op == "spend":
                    points_spend(member=member, points=points, source="reward", reference=f"o{i % 3}")
                elif op == "expire":
                    points_expire_due(now=now + timedelta(days=days))
                elif op == "refund":
                    points_reverse_for_refund(
                        member=member,
                        reference=f"o{i % 3}",
                        refund_amount=points,
                        original_amount=500,
                        refund_reference=f"r{i}",
                    )
                else:
                    points_adjust(member=member, points=points - 250 or 1, reason="prop")
            except InsufficientPoints:
                pass
            assert points_problems() == []
            member.refresh_from_db()
            assert member.points_balance >= 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_spends_never_overdraw(make_member: Callable[..., Member]) -> None:
    assert connection.vendor == "postgresql"
    member = make_member()
    points_earn(member=member, points=100, source="order", reference="a")

    def spend(_i: int) -> PointsEntry:
        return points_spend(member=member, points=10, source="reward", reference="r")

    results = run_concurrently(20, spend, allowed=(InsufficientPoints,))
    assert sum(isinstance(r, PointsEntry) for r in results) == 10
    assert sum(isinstance(r, InsufficientPoints) for r in results) == 10
    assert balance(member) == 0
    call_command("check_points")


def _updates(table: str) -> tuple[int, int]:
    """Rows of `table` this transaction updated, and how many of them in place (HOT)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [table, table],
        )
        updated, hot = cursor.fetchone()
    return int(updated), int(hot)


@pytest.mark.postgres
def test_the_nightly_expiry_and_spending_rewrite_lots_in_place_touching_no_index(
    make_member: Callable[..., Member],
) -> None:
    """What keeps a million lots' expiry in seconds (README, "Benchmarks"): no
    index covers `remaining` or `expired_at` (not even in a condition), and the
    pages keep room for a second version of each row (migration 0016)."""
    assert connection.vendor == "postgresql"
    lots, members = PointsLot._meta.db_table, Member._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname IN (%s, %s)", [lots, members])
        assert dict(cursor.fetchall()) == {lots: ["fillfactor=50"], members: ["fillfactor=50"]}
    member = make_member()
    for reference in ("a", "b", "c"):
        points_earn(
            member=member,
            points=10,
            source="order",
            reference=reference,
            earned_at=timezone.now() - timedelta(days=800),
        )
    points_earn(member=member, points=10, source="order", reference="new")
    lots_before = _updates(lots)

    assert points_expire_due() == 3
    points_spend(member=member, points=4, source="reward", reference="r")

    updated, hot = (after - before for after, before in zip(_updates(lots), lots_before, strict=True))
    assert (updated, hot) == (4, 4)
    assert PointsLot.objects.filter(member=member, remaining=0, expired_at__isnull=False).count() == 3
    assert balance(member) == 6
    assert points_problems() == []
