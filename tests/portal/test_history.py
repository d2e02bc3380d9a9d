"""History: one plain sentence per line, details on tap, money and points apart."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.models import Category, Order, Product, ProgrammeSettings, Store
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import order_refund
from payments.services.orders.cart import order_add_product, order_attach_member_by_code, order_open
from payments.services.orders.tenders import order_add_tender
from payments.services.top_ups import wallet_top_up
from tests.conftest import make_staff
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db: Any) -> Store:
    return Store.objects.create(name="Da'an Roastery", slug="daan")


def product(name: str, price: int) -> Product:
    category, _ = Category.objects.get_or_create(name="Coffee", slug="coffee")
    return Product.objects.create(category=category, name=name, sku=name.lower(), price=price)


def till_sale(member: Member, store: Store, barista: Any, *products: Product) -> Order:
    """A sale rung up at the till and paid from the member's wallet."""
    order = order_open(store=store, barista=barista)
    for item in products:
        order_add_product(order=order, product=item)
    order_attach_member_by_code(order=order, code_hash=hash_payment_code(payment_code_issue(member=member).code))
    order.refresh_from_db()
    order_add_tender(order=order, kind="wallet", idempotency_key=uuid.uuid4().hex, actor=barista)
    order.refresh_from_db()
    return order


def headlines(html: str) -> list[str]:
    return [" ".join(found.split()) for found in re.findall(r"<summary>.*?<strong>(.*?)</strong>", html, flags=re.S)]


def test_a_refund_is_told_as_a_sentence_with_no_raw_reference(
    member_client: Client, member: Member, store: Store, django_user_model: Any
) -> None:
    barista = make_staff(django_user_model, "b@example.com", "Barista")
    wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
    order = till_sale(member, store, barista, product("Latte", 13_500), product("Croissant", 9_000))
    latte = order.lines.get(product__name="Latte")
    order_refund(order=order, actor=barista, quantities={latte.pk: 1}, reason="Spilled")

    money = member_client.get("/wallet/").content.decode()
    assert headlines(money) == [
        "Refund of your Latte at Da&#x27;an Roastery",
        "Your Latte and Croissant at Da&#x27;an Roastery",
        "Top-up at Da&#x27;an Roastery",
    ]
    points = member_client.get("/wallet/?tab=points").content.decode()
    assert headlines(points) == [
        "Points taken back: refund at Da&#x27;an Roastery (Latte)",
        "Points for your Latte and Croissant at Da&#x27;an Roastery",
    ]
    for page in (money, points):
        assert "order:" not in page and "refund:" not in page
    # The refund's details, on tap: the item, the reason, the receipt.
    refund = money.split("<details")[1].split("</details>")[0]
    assert re.search(r"1 × Latte</span><span class=\"amount\">NT\$135", refund)
    assert "Croissant" not in refund.split("</summary>")[1]
    assert "Reason: Spilled" in refund and f'href="/wallet/receipts/{order.pk}/"' in refund


def test_the_points_formula_is_a_detail_not_the_headline(member_client: Client, member: Member, store: Store) -> None:
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    pay_from_wallet(member=member, amount=15_000, store=store)
    points = member_client.get("/wallet/?tab=points").content.decode()
    assert headlines(points) == ["Points for your visit to Da&#x27;an Roastery"]
    summary, more = points.split("<summary>")[1].split("</summary>")
    assert "×" not in summary and "=" not in re.sub(r"<[^>]+>", "", summary)
    assert "NT$150 × 1 pt per NT$10 = 15" in more


def test_money_and_points_are_in_separate_tabs(member_client: Client, member: Member, store: Store) -> None:
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    pay_from_wallet(member=member, amount=15_000, store=store)
    money = member_client.get("/wallet/").content.decode()
    points = member_client.get("/wallet/?tab=points").content.decode()
    assert 'aria-current="page">Money<' in money and 'aria-current="page">Points<' in points
    assert money.count('class="history-item history-wallet"') == 2 and "history-points" not in money
    assert points.count('class="history-item history-points"') == 1 and "history-wallet" not in points
    assert headlines(money) == ["Payment at Da&#x27;an Roastery", "Top-up at Da&#x27;an Roastery"]


def test_history_pages_make_a_constant_number_of_queries(
    member_client: Client, member: Member, store: Store, django_user_model: Any, django_assert_max_num_queries: Any
) -> None:
    barista = make_staff(django_user_model, "b@example.com", "Barista")
    programme = ProgrammeSettings.objects.get(pk=ProgrammeSettings.current().pk)
    programme.velocity_per_minute = 50
    programme.save()  # the save forgets the memoised settings
    wallet_top_up(member=member, amount=500_000, tender="cash", store=store)
    latte = product("Latte", 13_500)
    for _ in range(2):
        till_sale(member, store, barista, latte)
    with django_assert_max_num_queries(20) as few:
        member_client.get("/wallet/")
        member_client.get("/wallet/?tab=points")
    for number in range(6):
        order_refund(order=till_sale(member, store, barista, latte, product(f"Cake {number}", 9_000)), actor=barista)
    with django_assert_max_num_queries(len(few.captured_queries)):
        money = member_client.get("/wallet/")
        member_client.get("/wallet/?tab=points")
    assert money.content.decode().count("history-item") == 1 + 2 + 12
