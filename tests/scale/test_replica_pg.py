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
from django.test import Client
from django.utils import timezone

from cafe_loyalty.core.replica import REPLICA
from campaigns.models import MemberSegment
from members.models import Member, Visit
from payments.models import Category, Order, OrderLine, Product, Store
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
