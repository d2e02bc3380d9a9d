"""cafe_loyalty.core.rows.PreparedQuery: a query built once per process gives
the rows, related rows and field values the ORM gives for the same queryset,
whatever values it is run with after the first."""

from __future__ import annotations

from typing import Any

import pytest

from cafe_loyalty.core.rows import PreparedQuery
from members.models import Tier
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, OrderLine, Product, Store

pytestmark = pytest.mark.django_db


def _fields(instance: Any) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.fixture
def orders(make_member: Any) -> list[Order]:
    load_menu_demo()
    gold = Tier.objects.create(name="Gold test", slug="gold-test", rank=9, min_points_12m=99_999)
    here, there = Store.objects.create(name="Here", slug="here"), Store.objects.create(name="There", slug="there")
    made = []
    for i, store in enumerate([here, there, here]):
        member = make_member(f"Member {i}")
        member.tier = gold if i == 2 else None
        member.save()
        order = Order.objects.create(store=store, member=member, subtotal=100 * i, total=100 * i)
        for product in Product.objects.order_by("pk")[: i + 1]:
            OrderLine.objects.create(order=order, product=product, unit_price=product.price)
        made.append(order)
    return made


def test_first_and_all_answer_what_the_orm_answers_for_each_value(orders: list[Order]) -> None:
    at_store = PreparedQuery(
        lambda order_id, store_id: Order.objects.select_related("member__tier").filter(pk=order_id, store_id=store_id)
    )
    lines = PreparedQuery(
        lambda order_id: OrderLine.objects.select_related("product__category").filter(order_id=order_id)
    )
    for order in orders:
        for store in Store.objects.all():
            expected = Order.objects.select_related("member__tier").filter(pk=order.pk, store=store).first()
            found = at_store.first(order_id=order.pk, store_id=store.pk)
            if expected is None:
                assert found is None
                continue
            assert _fields(found) == _fields(expected)
            assert _fields(found.member) == _fields(expected.member)
            assert found.member is not None and expected.member is not None
            assert found.member.tier == expected.member.tier  # joined, or None: no query either way
        expected_lines = list(OrderLine.objects.select_related("product__category").filter(order=order))
        found_lines = lines.all(order_id=order.pk)
        assert [_fields(line) for line in found_lines] == [_fields(line) for line in expected_lines]
        assert [line.product.category.name for line in found_lines] == [
            line.product.category.name for line in expected_lines
        ]
    assert lines.all(order_id=-1) == []


def test_the_joined_rows_cost_no_further_query(orders: list[Order], django_assert_num_queries: Any) -> None:
    at_store = PreparedQuery(
        lambda order_id, store_id: Order.objects.select_related("member__tier").filter(pk=order_id, store_id=store_id)
    )
    order = orders[2]
    at_store.first(order_id=orders[0].pk, store_id=orders[0].store_id)  # built with other values first
    with django_assert_num_queries(1):
        found = at_store.first(order_id=order.pk, store_id=order.store_id)
        assert found.member.tier.name == "Gold test"


def test_refresh_is_refresh_from_db_with_the_query(orders: list[Order], django_assert_num_queries: Any) -> None:
    """Fields take the row's values, related rows come with the query, and a
    prefetched list no longer answers (it may be stale)."""
    fresh = PreparedQuery(lambda order_id: Order.objects.select_related("store", "member__tier").filter(pk=order_id))
    order = Order.objects.prefetch_related("lines").get(pk=orders[2].pk)
    assert len(order.lines.all()) == 3
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, total=999)
    OrderLine.objects.filter(order=order).first().delete()  # type: ignore[union-attr]
    with django_assert_num_queries(1):
        fresh.refresh(order, order_id=order.pk)
        assert order.member is not None and order.member.tier is not None
        seen = (order.status, order.total, order.store.slug, order.member.tier.name)
    assert seen == ("paid", 999, "here", "Gold test")
    assert len(order.lines.all()) == 2
    Order.objects.filter(pk=order.pk).delete()
    with pytest.raises(Order.DoesNotExist):
        fresh.refresh(order, order_id=order.pk)


def test_an_integer_no_column_holds_matches_no_row(orders: list[Order]) -> None:
    """As the ORM answers (a till URL with a 25-digit order id is a 404, not a crash)."""
    at_store = PreparedQuery(lambda order_id, store_id: Order.objects.filter(pk=order_id, store_id=store_id))
    assert at_store.first(order_id=10**25, store_id=orders[0].store_id) is None
    assert at_store.all(order_id=-(10**25), store_id=orders[0].store_id) == []
    assert Order.objects.filter(pk=10**25).first() is None
