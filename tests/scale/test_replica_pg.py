"""Reports and nightly jobs read from the replica (PostgreSQL, a second
database in the same cluster standing in for it, holding different data from
the primary): what a page or job shows can only have come from there; what a
job writes lands on the primary."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from cafe_loyalty.core.replica import REPLICA, replica_reads
from campaigns.models import MemberSegment
from members.models import Consent, Member, Visit, VisitGapDay
from payments.models import (
    Category,
    DailySales,
    Order,
    OrderLine,
    Product,
    Recommendation,
    RecommendationRun,
    Store,
)
from payments.selectors.sales import SalesQuery, sales_report

# Both databases in the test's transaction, rolled back after each test.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", REPLICA]),
    pytest.mark.usefixtures("replica_database"),
]


def _sale_on_replica(store: Store, *, total: int) -> None:
    """A paid order today, written only to the replica (the store with the primary's id)."""
    Store.objects.using(REPLICA).create(pk=store.pk, name=store.name, slug=store.slug)
    category = Category.objects.using(REPLICA).create(name="Coffee", slug="coffee")
    product = Product.objects.using(REPLICA).create(category=category, name="Latte", sku="latte", price=total)
    now = timezone.now()
    order = Order.objects.using(REPLICA).create(
        store_id=store.pk, status=Order.Status.PAID, subtotal=total, total=total, paid_at=now
    )
    OrderLine.objects.using(REPLICA).create(order=order, product=product, quantity=1, unit_price=total)


def test_the_sales_report_page_reads_the_replica(client: Client, manager_user: Any) -> None:
    store = Store.objects.create(name="Da'an", slug="daan")
    _sale_on_replica(store, total=12_300)
    client.force_login(manager_user)  # the session and permissions stay on the primary
    response = client.get("/admin/payments/order/report/")
    assert response.status_code == 200
    totals = response.context["report"].totals
    assert (totals.orders, totals.sales) == (1, 12_300)
    # The same selector outside the report's context reads the primary, which has no orders.
    today = timezone.localdate()
    assert sales_report(query=SalesQuery(start=today, end=today)).totals.orders == 0


def test_the_liability_page_reads_the_replica(client: Client, manager_user: Any) -> None:
    replica_member = Member.objects.using(REPLICA).create(card_number="700000000001", display_name="R")
    Member.objects.using(REPLICA).filter(pk=replica_member.pk).update(points_balance=77)
    client.force_login(manager_user)
    response = client.get("/admin/payments/account/liability/")
    assert response.status_code == 200
    assert response.context["points"].member_balances == 77
    assert not Member.objects.filter(points_balance=77).exists()


def test_compute_segments_reads_visits_on_the_replica_and_writes_the_primary(
    make_member: Callable[..., Member],
) -> None:
    member = make_member("Mei")  # on the primary, without visits
    Member.objects.using(REPLICA).create(pk=member.pk, card_number=member.card_number, display_name="Mei")
    now = timezone.now()
    Visit.objects.using(REPLICA).bulk_create(
        Visit(member_id=member.pk, at=now - timedelta(days=d), amount=10_000, reference=f"r{d}") for d in (1, 8, 20)
    )
    call_command("compute_segments", stdout=io.StringIO())
    segment = MemberSegment.objects.get(member=member)
    assert (segment.frequency, segment.monetary) == (3, 30_000)
    assert not MemberSegment.objects.using(REPLICA).exists()


def test_compute_recommendations_reads_orders_on_the_replica_and_writes_the_primary(
    make_member: Callable[..., Member],
) -> None:
    member = make_member("Mei")  # on the primary: no orders, no consent
    category = Category.objects.create(name="Coffee", slug="coffee")
    latte = Product.objects.create(category=category, name="Latte", sku="latte", price=9_000)
    replica_member = Member.objects.using(REPLICA).create(
        pk=member.pk, card_number=member.card_number, display_name="Mei"
    )
    Consent.objects.using(REPLICA).create(
        member=replica_member, channel="email", purpose=Consent.Purpose.PERSONALISED, granted=True
    )
    Category.objects.using(REPLICA).create(pk=category.pk, name="Coffee", slug="coffee")
    Product.objects.using(REPLICA).create(pk=latte.pk, category_id=category.pk, name="Latte", sku="latte", price=9_000)
    store = Store.objects.using(REPLICA).create(name="Da'an", slug="daan")
    paid = timezone.now() - timedelta(days=3)
    for _ in range(2):
        order = Order.objects.using(REPLICA).create(
            store=store, member_id=member.pk, status=Order.Status.PAID, total=9_000, paid_at=paid
        )
        OrderLine.objects.using(REPLICA).create(order=order, product_id=latte.pk, quantity=1, unit_price=9_000)
    call_command("compute_recommendations", stdout=io.StringIO())
    usual = Recommendation.objects.get(member=member, kind=Recommendation.Kind.USUAL)
    assert (usual.product_id, usual.score) == (latte.pk, 2.0)
    assert RecommendationRun.objects.get().members == 1
    assert not Recommendation.objects.using(REPLICA).exists()
    assert not RecommendationRun.objects.using(REPLICA).exists()


def test_summarise_sales_reads_the_primary_even_inside_a_report_context(
    make_member: Callable[..., Member],
) -> None:
    """Its summaries, and the marks where the next run starts, must come from
    the primary (cafe_loyalty.core.replica): a replica with other figures
    changes nothing."""
    store = Store.objects.create(name="Da'an", slug="daan")
    yesterday = timezone.now() - timedelta(days=1)
    Order.objects.create(store=store, status=Order.Status.PAID, subtotal=4_000, total=4_000, paid_at=yesterday)
    Store.objects.using(REPLICA).create(pk=store.pk, name=store.name, slug=store.slug)
    Order.objects.using(REPLICA).create(
        store_id=store.pk, status=Order.Status.PAID, subtotal=99_000, total=99_000, paid_at=yesterday
    )
    member = make_member("Mei")
    visit = Visit.objects.create(member=member, at=yesterday, amount=4_000, reference="p1", store_slug="daan")
    Member.objects.using(REPLICA).create(pk=member.pk, card_number=member.card_number, display_name="Mei")
    Visit.objects.using(REPLICA).create(
        pk=visit.pk + 1_000, member_id=member.pk, at=yesterday, amount=99_000, reference="r1", store_slug="daan"
    )
    with replica_reads():
        call_command("summarise_sales", stdout=io.StringIO())
    assert DailySales.objects.aggregate(total=Sum("sales"))["total"] == 4_000
    # The late-visit mark is the primary's newest visit, not the replica's.
    assert VisitGapDay.objects.get().last_visit == visit.pk
    assert not DailySales.objects.using(REPLICA).exists()
