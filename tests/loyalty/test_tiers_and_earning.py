"""Tiers (qualify by points earned or visits; downgrade only at review after
grace) and the earn rules (line by line, stacking, caps, rounding)."""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.earning import QuoteLine, points_quote
from campaigns.models import EarnRule, ProductBonus, Promotion
from members.models import Member, PointsPolicy, Tier
from members.points import points_earn, points_spend
from members.selectors import points_problems, tier_progress
from members.tiers import member_record_visit, tier_evaluate, tier_override
from payments.models import Store
from payments.services.top_ups import wallet_top_up
from tests.helpers import pay_from_wallet, refund_payment

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")


def tier(slug: str) -> Tier:
    return Tier.objects.get(slug=slug)


def test_new_member_starts_green_and_moves_up_by_points_earned(make_member: Callable[..., Member]) -> None:
    member = make_member()
    tier_evaluate(member=member)
    assert member.tier == tier("green")
    points_earn(member=member, points=1_500, source="order", reference="big")
    change = tier_evaluate(member=member)
    assert change is not None and change.new == tier("gold")
    assert member.notices.filter(title__contains="Gold").exists()


def test_tier_counts_points_earned_not_balance(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(member=member, points=1_600, source="order", reference="a")
    points_spend(member=member, points=1_600, source="reward", reference="r")
    tier_evaluate(member=member)
    assert member.tier == tier("gold")


def test_tier_by_visits(make_member: Callable[..., Member]) -> None:
    member = make_member()
    now = timezone.now()
    for i in range(15):
        member_record_visit(member=member, amount=10_000, at=now - timedelta(days=i), reference=f"v{i}")
    member_record_visit(member=member, amount=10_000, at=now, reference="v0")  # same order: one visit
    tier_evaluate(member=member, now=now)
    assert member.tier == tier("gold")


def test_downgrade_waits_for_review_date_and_grace(make_member: Callable[..., Member]) -> None:
    member = make_member()
    start = timezone.now() - timedelta(days=500)
    points_earn(member=member, points=2_000, source="order", reference="a", earned_at=start)
    tier_evaluate(member=member, now=start)
    assert member.tier == tier("gold")
    member.refresh_from_db()
    review = member.tier_review_at
    assert review is not None
    # A year later the points no longer count, but the review date has only just come.
    assert tier_evaluate(member=member, now=review + timedelta(days=1)) is None
    grace = PointsPolicy.current().tier_grace_days
    assert tier_evaluate(member=member, now=review + timedelta(days=grace - 1)) is None
    change = tier_evaluate(member=member, now=review + timedelta(days=grace + 1))
    assert change is not None and change.new == tier("green")


def test_manager_override_holds_until_its_date(make_member: Callable[..., Member]) -> None:
    member = make_member()
    tier_override(
        member=member, tier=tier("reserve"), reason="VIP launch guest", until=timezone.localdate() + timedelta(days=30)
    )
    member.refresh_from_db()
    assert tier_evaluate(member=member) is None
    assert member.tier == tier("reserve")
    with pytest.raises(ValueError):
        tier_override(member=member, tier=tier("gold"), reason="", until=None)


def test_tier_progress_shows_what_is_missing(make_member: Callable[..., Member]) -> None:
    member = make_member()
    points_earn(member=member, points=750, source="order", reference="a")
    tier_evaluate(member=member)
    progress = tier_progress(member=member, now=timezone.now())
    assert (progress.tier, progress.next_tier, progress.points_needed, progress.percent) == ("Green", "Gold", 750, 50)


def test_earn_quote_explains_each_rule_and_rounds_down_once(make_member: Callable[..., Member]) -> None:
    member = make_member()
    ProductBonus.objects.create(category_slug="seasonal", multiplier_percent=200)
    lines = [QuoteLine("latte-m", "coffee", 1, 15_500), QuoteLine("maple-latte", "seasonal", 1, 16_500)]
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=TAIPEI)
    quote = points_quote(member=member, lines=lines, total_paid=32_000, store_slug="daan", at=monday)
    # 320 / 10 = 32 base; seasonal line 165 / 10 = 16.5 extra -> 48.5 -> 48
    assert quote.points == 48
    assert any("seasonal" in line for line in quote.explanation)
    assert quote.explanation[-1] == "Total 48 points (rounded down)"


def test_overlapping_promotions_follow_the_stacking_rule(make_member: Callable[..., Member]) -> None:
    member = make_member()
    Promotion.objects.create(
        name="Double points Tuesday 14–17", multiplier_percent=200, weekdays="2", start_time="14:00", end_time="17:00"
    )
    Promotion.objects.create(name="Triple at Da'an opening", multiplier_percent=300, store_slugs="daan")
    Promotion.objects.create(name="+5 app bonus", bonus_points=5, stackable=True)
    tuesday_15h = datetime(2026, 11, 24, 15, 0, tzinfo=TAIPEI)
    at_daan = points_quote(member=member, lines=[], total_paid=10_000, store_slug="daan", at=tuesday_15h)
    # base 10; the better non-stackable (triple, +20) wins over double (+10); stackable +5 adds.
    assert at_daan.points == 35
    assert any("not combined" in line for line in at_daan.explanation)
    elsewhere = points_quote(member=member, lines=[], total_paid=10_000, store_slug="xinyi", at=tuesday_15h)
    assert elsewhere.points == 25
    tuesday_17h = datetime(2026, 11, 24, 17, 0, tzinfo=TAIPEI)
    assert points_quote(member=member, lines=[], total_paid=10_000, store_slug="xinyi", at=tuesday_17h).points == 15


def test_caps_per_order_and_per_day(make_member: Callable[..., Member]) -> None:
    member = make_member()
    EarnRule.objects.update_or_create(pk=1, defaults={"max_points_per_order": 100, "max_points_per_day": 150})
    now = timezone.now()
    first = points_quote(member=member, lines=[], total_paid=500_000, store_slug=None, at=now)
    assert first.points == 100
    points_earn(member=member, points=first.points, source="order", reference="o1")
    assert points_quote(member=member, lines=[], total_paid=500_000, store_slug=None, at=now).points == 50


def test_wallet_payment_earns_points_and_a_refund_takes_them_back(make_member: Callable[..., Member]) -> None:
    member = make_member()
    store = Store.objects.create(name="Da'an", slug=f"daan-{uuid.uuid4().hex[:4]}")
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    payment = pay_from_wallet(member=member, amount=15_000, store=store)
    assert payment.tender.order.points_earned == 15
    member.refresh_from_db()
    assert member.points_balance == 15
    assert member.tier == tier("green")
    refund_payment(payment_id=payment.pk, amount=5_000)
    member.refresh_from_db()
    assert member.points_balance == 10
    refund_payment(payment_id=payment.pk)
    member.refresh_from_db()
    assert member.points_balance == 0
    assert points_problems() == []
