"""generate_insight_data on PostgreSQL, small counts: what it writes holds
together (orders = their lines, visits carry their order's total, points
reconcile), and it refuses where it must."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from pytest_django.fixtures import Settings

from campaigns.models import Promotion, PromotionAward
from members.models import Consent, Member, Visit
from members.selectors import member_ids_agreeing_to_personalised_offers, points_problems
from payments.models import Order, OrderLine, Product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def generate(**options: Any) -> str:
    out = io.StringIO()
    call_command("generate_insight_data", stdout=out, **options)
    return out.getvalue()


def test_it_writes_a_consistent_cafe(settings: Settings) -> None:
    settings.DEBUG = True
    generate(members=200, visits=3_000, orders=2_000)
    assert Member.objects.count() == 200
    assert 2_700 <= Visit.objects.count() <= 3_300  # each member's share is rounded at random
    assert Order.objects.count() == 2_000
    summed = Sum(F("lines__unit_price") * F("lines__quantity"))
    per_order = Order.objects.annotate(line_count=Count("lines"), summed=summed)
    assert per_order.filter(line_count__gte=1, line_count__lte=3).count() == 2_000
    assert not per_order.exclude(summed=F("total")).exists()
    assert Order.objects.filter(lines__isnull=False).values("lines__product").distinct().count() == (
        Product.objects.filter(is_active=True).count()
    )
    # A visit that was an order carries its total; every order here came from a member's visit.
    for visit in Visit.objects.filter(reference__startswith="order:")[:50]:
        assert Order.objects.get(pk=int(visit.reference.split(":")[1])).total == visit.amount
    assert Order.objects.filter(member__isnull=True).count() == 0
    assert not points_problems()
    assert Member.objects.filter(points_balance__gt=0).exists()
    # Two years of history, refunds among the orders.
    first, last = Visit.objects.order_by("at").first(), Visit.objects.order_by("at").last()
    assert first is not None and last is not None and (last.at - first.at).days > 400
    assert Order.objects.filter(status=Order.Status.REFUNDED).count() == 10
    assert OrderLine.objects.filter(refunded_quantity__gt=0).exists()


def test_lines_carry_their_modifiers_and_members_their_consents(settings: Settings) -> None:
    settings.DEBUG = True
    generate(members=400, visits=3_000, orders=2_000)
    # Every line of a product with modifier groups has one option of each group
    # (extras aside), priced in as the till prices it.
    priced = Coalesce(Sum("modifiers__price"), 0)
    lines = OrderLine.objects.annotate(extra=priced, groups=Count("modifiers__group", distinct=True))
    with_groups = lines.filter(product__modifiers__isnull=False).distinct()
    assert with_groups.exists() and not lines.exclude(unit_price=F("product__price") + F("extra")).exists()
    latte = lines.filter(product__sku="latte")
    assert latte.exists() and not latte.exclude(groups__gte=2).exists()  # size and milk at least
    assert lines.filter(modifiers__is_default=False).exists() and lines.exclude(modifiers_label="").exists()
    agreeing = member_ids_agreeing_to_personalised_offers()
    assert 0.5 * 400 < len(agreeing) < 0.7 * 400
    assert Consent.objects.filter(channel=Consent.Channel.PUSH, purpose=Consent.Purpose.PERSONALISED).exists()
    assert not points_problems()


def test_promotions_ran_for_the_last_year_and_gave_member_orders_their_points(settings: Settings) -> None:
    settings.DEBUG = True
    generate(members=300, visits=3_000, orders=2_000)
    promotions = {p.name: p for p in Promotion.objects.all()}
    assert len(promotions) == 3 and sum(p.holdout_percent > 0 for p in promotions.values()) == 2
    member_day = promotions["Member day (bench)"]
    awards = PromotionAward.objects.filter(promotion=member_day).select_related("member")
    assert awards.exists()
    for award in awards[:50]:
        order = Order.objects.get(pk=int(award.reference.split(":")[1]))
        # A paid member order of the last year, on a Wednesday by the programme's clock, its points doubled.
        assert order.member_id == award.member_id and order.status == Order.Status.PAID
        assert timezone.localtime(order.paid_at).isoweekday() == 3 and award.points == order.points_earned
        assert order.paid_at is not None and member_day.starts_at is not None
        assert order.paid_at >= member_day.starts_at
    afternoon = PromotionAward.objects.filter(promotion=promotions["Afternoon +5 (bench)"])
    assert afternoon.exists() and not afternoon.exclude(points=5).exists()
    one_store = next(p for name, p in promotions.items() if name.endswith("+10 (bench)"))
    at_store = Order.objects.filter(store__slug=one_store.store_slugs, member__isnull=False, status=Order.Status.PAID)
    assert (
        PromotionAward.objects.filter(promotion=one_store).count()
        == at_store.filter(paid_at__gte=one_store.starts_at, points_earned__gt=0).count()
    )


def test_more_orders_than_visits_become_walk_ins(settings: Settings) -> None:
    settings.DEBUG = True
    generate(members=20, visits=100, orders=300)
    visits = Visit.objects.count()
    assert Order.objects.filter(member__isnull=False).count() == visits
    assert Order.objects.filter(member__isnull=True).count() == 300 - visits
    assert not points_problems()


def test_it_refuses_a_database_with_members_unless_forced(settings: Settings) -> None:
    settings.DEBUG = True
    generate(members=5, visits=10, orders=5)
    with pytest.raises(CommandError, match="already has members"):
        generate(members=5, visits=10, orders=5)
    assert Member.objects.count() == 5
    generate(members=5, visits=10, orders=5, force=True)
    assert Member.objects.count() == 10
    assert not points_problems()


def test_it_refuses_without_debug_or_the_bench_flag(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true or --bench"):
        generate(members=5, visits=10, orders=5)
    assert not Member.objects.exists()
    generate(members=5, visits=10, orders=5, bench=True)
    assert Member.objects.count() == 5
