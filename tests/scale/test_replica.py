"""The replica router without a second database (SQLite): reads move only
inside replica_reads() and only when a "replica" alias is configured; writes
never move. The PostgreSQL test (test_replica_pg) proves it end to end."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import router
from django.db.models import Sum
from django.http import HttpRequest
from django.template import engines
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.utils import timezone

from cafe_loyalty.core import replica
from cafe_loyalty.core.replica import REPLICA, primary_reads, reading_alias, replica_reads, replica_view
from cafe_loyalty.databases import database_routers
from members.models import Member, Visit, VisitGapDay
from payments.models import Category, DailySales, Order, OrderLine, Product, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # As if DATABASE_REPLICA_URL were set: the router, which only asks
    # whether the alias exists; nothing connects to it here.
    settings.DATABASE_ROUTERS = database_routers({"default": {}, REPLICA: {}})
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def test_without_a_replica_nothing_moves() -> None:
    with replica_reads():
        assert router.db_for_read(Order) == "default"
        assert reading_alias() == "default"
    assert router.db_for_write(Order) == "default"


def test_reads_move_only_inside_the_context(with_replica: None) -> None:
    assert router.db_for_read(Order) == "default"
    with replica_reads():
        assert router.db_for_read(Order) == REPLICA
        assert router.db_for_read(Member) == REPLICA
        assert reading_alias() == REPLICA
        # Writes always go to the primary.
        assert router.db_for_write(Order) == "default"
        with replica_reads():
            pass
        assert router.db_for_read(Order) == REPLICA  # a nested exit keeps the outer context
    assert router.db_for_read(Order) == "default"
    assert reading_alias() == "default"


def test_the_context_ends_even_when_the_report_fails(with_replica: None) -> None:
    with pytest.raises(ZeroDivisionError), replica_reads():
        _ = 1 / 0
    assert router.db_for_read(Order) == "default"


def test_a_replica_read_row_may_relate_to_a_primary_one(with_replica: None, make_member: Callable[..., Member]) -> None:
    member = make_member("R")
    member._state.db = REPLICA  # as if a report had read it on the replica
    order = Order()
    order._state.db = "default"
    order.member = member  # Django refuses relations across databases unless a router allows them
    assert order.member_id == member.pk


def test_who_is_asking_and_what_they_may_do_stays_on_the_primary(with_replica: None) -> None:
    # A manager just given a permission must not be refused by a lagging replica.
    with replica_reads():
        for model in (User, Permission, Session, ContentType, Authenticator, EmailAddress):
            assert router.db_for_read(model) == "default"


def test_primary_reads_win_inside_replica_reads(with_replica: None) -> None:
    with replica_reads():
        with primary_reads():
            assert router.db_for_read(Order) == "default"
            assert reading_alias() == "default"
        assert router.db_for_read(Order) == REPLICA


def _probe_view(model_admin: object, request: HttpRequest) -> SimpleTemplateResponse:
    """A report view whose template, like an admin list's, reads while it renders."""
    template = engines["django"].from_string("{{ seen }} {{ probe }}")
    return SimpleTemplateResponse(template, {"seen": reading_alias(), "probe": reading_alias})


def test_a_report_view_and_its_template_read_the_replica(with_replica: None, rf: RequestFactory) -> None:
    response = replica_view(_probe_view)(None, rf.get("/report/"))
    assert response.content.decode() == f"{REPLICA} {REPLICA}"
    assert reading_alias() == "default"


def test_a_post_to_a_report_view_reads_the_primary(with_replica: None, rf: RequestFactory) -> None:
    # An admin list's action acts on what it reads: it reads where it writes.
    response = replica_view(_probe_view)(None, rf.post("/report/"))
    assert response.render().content.decode() == "default default"


def test_summarise_sales_reads_the_primary_even_inside_a_report_context(
    with_replica: None, make_member: Callable[..., Member]
) -> None:
    # Here there is no "replica" database at all: a read sent there would fail.
    store = Store.objects.create(name="Da'an", slug="daan")
    product = Product.objects.create(
        category=Category.objects.create(name="Coffee", slug="coffee"), name="Latte", sku="latte", price=9_000
    )
    yesterday = timezone.now() - timedelta(days=1)
    order = Order.objects.create(store=store, status=Order.Status.PAID, subtotal=9_000, total=9_000, paid_at=yesterday)
    OrderLine.objects.create(order=order, product=product, quantity=1, unit_price=9_000)
    Visit.objects.create(member=make_member("Mei"), at=yesterday, amount=9_000, reference="v1", store_slug="daan")
    with replica_reads():
        call_command("summarise_sales", stdout=io.StringIO())
    assert DailySales.objects.aggregate(total=Sum("sales"))["total"] == 9_000
    assert VisitGapDay.objects.exists()
