"""The sales report (issue #17, item 1): by product and category, store,
weekday × hour and day/week/month, with orders, items per order and the
average order, for a store or all over a period; each figure against a small
set of orders computed by hand, then the page, its CSV and who may open it."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import Category, Order, OrderLine, Product, Store
from payments.selectors.sales import SalesQuery, SalesReport, sales_report
from tests.conftest import add_totp

pytestmark = pytest.mark.django_db

URL = "/admin/payments/order/report/"
WEEK = {"start": date(2030, 6, 3), "end": date(2030, 6, 9)}  # Monday to Sunday


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2030, month, day, hour, minute), timezone.get_default_timezone())


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


class World:
    def __init__(self) -> None:
        self.daan = Store.objects.create(name="Da'an", slug="daan")
        self.xinyi = Store.objects.create(name="Xinyi", slug="xinyi")
        coffee = Category.objects.create(name="Coffee", slug="coffee")
        tea = Category.objects.create(name="Tea", slug="tea")
        food = Category.objects.create(name="Food", slug="food")
        self.latte = Product.objects.create(category=coffee, name="Latte", sku="latte", price=12_000)
        self.oolong = Product.objects.create(category=tea, name="Oolong", sku="oolong", price=9_000)
        self.cake = Product.objects.create(category=food, name="Cake", sku="cake", price=8_000)

    def order(
        self, store: Store, when: datetime, *lines: tuple[Product, int], discount: int = 0, **fields: Any
    ) -> Order:
        subtotal = sum(product.price * quantity for product, quantity in lines)
        fields.setdefault("status", Order.Status.PAID)
        order = Order.objects.create(
            store=store,
            subtotal=subtotal,
            discount=discount,
            total=subtotal - discount,
            paid_at=when if fields["status"] != Order.Status.OPEN else None,
            **fields,
        )
        for product, quantity in lines:
            OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price)
        return order


@pytest.fixture
def world() -> World:
    """In the week of 2030-06-03 (local time): Da'an on Monday 08:15, two
    lattes less NT$20 (NT$220), and 08:40, an oolong and a cake (NT$170);
    Xinyi on Wednesday 14:05, a latte refunded (NT$120), and on Sunday 23:30,
    three cakes (NT$240). Outside it, or not sales: a latte on Sunday 06-02
    23:59 and on Monday 06-10 00:10, and an open order."""
    w = World()
    w.order(w.daan, local(6, 3, 8, 15), (w.latte, 2), discount=2_000)
    w.order(w.daan, local(6, 3, 8, 40), (w.oolong, 1), (w.cake, 1))
    w.order(w.xinyi, local(6, 5, 14, 5), (w.latte, 1), status=Order.Status.REFUNDED, refunded_amount=12_000)
    w.order(w.xinyi, local(6, 9, 23, 30), (w.cake, 3))
    w.order(w.daan, local(6, 2, 23, 59), (w.latte, 1))
    w.order(w.daan, local(6, 10, 0, 10), (w.latte, 1))
    w.order(w.daan, local(6, 4, 9), (w.latte, 5), status=Order.Status.OPEN)
    return w


def report(**query: Any) -> SalesReport:
    return sales_report(query=SalesQuery(**{**WEEK, **query}))


def test_totals_count_the_periods_paid_orders_items_and_average(world: World) -> None:
    totals = report().totals

    assert (totals.orders, totals.items, totals.sales, totals.refunds) == (4, 8, 75_000, 12_000)
    assert totals.items_per_order == 2.0
    assert totals.average_order == 18_750


def test_sales_per_day_week_and_month(world: World) -> None:
    days = {p.start: (p.totals.orders, p.totals.items, p.totals.sales) for p in report().periods}
    assert list(days) == [date(2030, 6, d) for d in range(3, 10)]  # every day, empty ones too
    assert days[date(2030, 6, 3)] == (2, 4, 39_000)
    assert days[date(2030, 6, 4)] == (0, 0, 0)
    assert days[date(2030, 6, 5)] == (1, 1, 12_000)
    assert days[date(2030, 6, 9)] == (1, 3, 24_000)  # 23:30 local is still Sunday

    weeks = report(grain="week").periods
    assert [(p.start, p.totals.orders, p.totals.sales) for p in weeks] == [(date(2030, 6, 3), 4, 75_000)]
    months = report(start=date(2030, 5, 20), grain="month").periods
    assert [(p.start, p.totals.orders, p.totals.sales) for p in months] == [
        (date(2030, 5, 1), 0, 0),
        (date(2030, 6, 1), 5, 87_000),  # with 06-02's latte
    ]


def test_sales_by_store_product_and_category(world: World) -> None:
    result = report()

    stores = [(s.name, s.totals.orders, s.totals.items, s.totals.sales, s.totals.refunds) for s in result.stores]
    assert stores == [("Da'an", 2, 4, 39_000, 0), ("Xinyi", 2, 4, 36_000, 12_000)]
    assert result.stores[1].totals.average_order == 18_000
    products = [(p.name, p.category, p.quantity, p.revenue, p.orders) for p in result.products]
    assert products == [
        ("Latte", "Coffee", 3, 36_000, 2),
        ("Cake", "Food", 4, 32_000, 2),
        ("Oolong", "Tea", 1, 9_000, 1),
    ]
    categories = [(c.name, c.quantity, c.revenue, c.orders) for c in result.categories]
    assert categories == [("Coffee", 3, 36_000, 2), ("Food", 4, 32_000, 2), ("Tea", 1, 9_000, 1)]


def test_orders_by_weekday_and_local_hour(world: World) -> None:
    heat = report().heat

    assert heat[0][8] == 2  # Monday 08:00–09:00
    assert heat[2][14] == 1  # Wednesday 14:00
    assert heat[6][23] == 1  # Sunday 23:00
    assert sum(map(sum, heat)) == 4


def test_a_store_filter_keeps_only_that_stores_sales(world: World) -> None:
    result = report(store=world.xinyi)

    assert (result.totals.orders, result.totals.items, result.totals.sales) == (2, 4, 36_000)
    assert [(p.name, p.revenue) for p in result.products] == [("Cake", 24_000), ("Latte", 12_000)]
    assert [s.name for s in result.stores] == ["Xinyi"]
    assert result.heat[0][8] == 0


# --- The page ----------------------------------------------------------------------


def filters(world: World, **more: str) -> dict[str, str]:
    return {"start": "2030-06-03", "end": "2030-06-09", "grain": "day", **more}


def test_the_page_filters_and_draws_each_chart(manager_client: Client, world: World) -> None:
    page = manager_client.get(URL, filters(world, store=str(world.daan.pk))).content.decode()

    for testid in ("sales-by-period", "sales-heat-map", "sales-products", "sales-categories", "sales-stores"):
        assert f'data-testid="chart-{testid}"' in page, testid
    cells = " ".join(page.split('data-testid="sales-totals"')[1].split("</table>")[0].split())
    assert "<td>2</td><td>4</td> <td>2.00</td> <td>NT$390</td>" in cells  # Da'an only
    assert "NT$195" in page  # its average order
    assert "Xinyi" not in page.split('data-testid="sales-stores"')[1].split("</table>")[0]


def test_a_period_that_ends_before_it_starts_is_refused_and_the_default_shown(
    manager_client: Client, world: World
) -> None:
    page = manager_client.get(URL, filters(world, start="2030-06-09", end="2030-06-03")).content.decode()

    assert "The period ends before it starts." in page
    assert "Sales per day" in page  # the last 30 days instead


def test_the_csv_has_each_table_with_numbers_and_a_byte_order_mark(manager_client: Client, world: World) -> None:
    response = manager_client.get(URL, filters(world, format="csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sales-2030-06-03-2030-06-09.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["Sales", "All stores", "2030-06-03", "2030-06-09"]
    assert ["2030-06-03", "2", "4", "2.0", "390.00", "0.00", "195.00"] in rows
    assert ["Total", "4", "8", "2.0", "750.00", "120.00", "187.50"] in rows
    assert ["Da'an", "2", "4", "2.0", "390.00", "0.00", "195.00"] in rows
    assert ["Latte", "Coffee", "3", "360.00", "2"] in rows
    assert ["Food", "4", "320.00", "2"] in rows
    monday = next(row for row in rows if row and row[0] == "Mon")
    assert monday[1 + 8] == "2" and len(monday) == 25


def test_the_csv_keeps_chinese_readable_and_formulas_inert(manager_client: Client, world: World) -> None:
    Product.objects.filter(pk=world.cake.pk).update(name="=HYPERLINK(1)", name_zh_hant="蛋糕")
    body = manager_client.get(URL, filters(world, format="csv"), HTTP_ACCEPT_LANGUAGE="zh-hant").content
    text = body.decode("utf-8")

    assert body.startswith("\ufeff".encode())  # what tells Excel the file is UTF-8
    assert "蛋糕" in text
    manager_client.get("/")  # English again
    english = manager_client.get(URL, filters(world, format="csv"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "'=HYPERLINK(1)" in english


def test_a_barista_or_a_shift_manager_cannot_open_the_report(
    client: Client, barista_user: Any, shift_manager_user: Any, django_user_model: Any
) -> None:
    for user in (barista_user, shift_manager_user):
        client.force_login(user)
        assert client.get(URL).status_code == 302
        assert client.get(URL + "?format=csv").status_code == 302
    staff = django_user_model.objects.create_user(username="s", email="s@x.tw", is_staff=True)
    add_totp(staff)
    client.force_login(staff)
    assert client.get(URL).status_code == 403


def test_the_front_page_links_the_reports(manager_client: Client) -> None:
    page = manager_client.get("/admin/").content.decode()
    assert f'href="{URL}"' in page
    assert 'href="/admin/payments/account/liability/"' in page


# The session, user, MFA and permissions (5); the side bar's "can add" checks
# (3); the store choices (1); the summarised days (1); periods (2), stores
# (2), products, categories and weekday × hour (3); totals are the periods' sum.
SALES_PAGE_QUERIES = 16


@pytest.mark.parametrize("orders", [1, 6])
def test_the_page_makes_a_pinned_number_of_queries(
    manager_client: Client, orders: int, django_assert_num_queries: Any
) -> None:
    w = World()
    for i in range(orders):
        w.order(w.daan if i % 2 else w.xinyi, timezone.now(), (w.latte, 1), (w.cake, i + 1))
    manager_client.get(URL)
    with django_assert_num_queries(SALES_PAGE_QUERIES):
        assert manager_client.get(URL).status_code == 200
