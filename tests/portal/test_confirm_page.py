"""The payment approval page: a heading, the store and items, a countdown, big buttons."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.models import Payment, Store, Tender
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders.cart import order_add_product, order_attach_member_by_code, order_open
from payments.services.orders.tenders import order_add_tender
from payments.services.top_ups import wallet_top_up
from tests.conftest import make_staff
from tests.portal.test_history import product

pytestmark = pytest.mark.django_db


def waiting_till_sale(member: Member, django_user_model: Any) -> Payment:
    """A till sale above the member's no-confirmation limit: it waits for them."""
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    barista = make_staff(django_user_model, "b@example.com", "Barista")
    wallet_top_up(member=member, amount=200_000, tender="cash", store=store)
    order = order_open(store=store, barista=barista)
    for item in [product("Beans", 45_000)] + [product(f"Latte {number}", 13_500) for number in range(1, 6)]:
        order_add_product(order=order, product=item)
    order_attach_member_by_code(order=order, code_hash=hash_payment_code(payment_code_issue(member=member).code))
    order.refresh_from_db()
    order_add_tender(order=order, kind="wallet", idempotency_key=uuid.uuid4().hex, actor=barista)
    payment = Tender.objects.get(order=order).payment
    assert payment is not None and payment.status == Payment.Status.REQUIRES_CONFIRMATION
    return payment


def test_the_approval_page_shows_heading_store_items_countdown_and_big_buttons(
    member_client: Client, member: Member, django_user_model: Any
) -> None:
    payment = waiting_till_sale(member, django_user_model)
    html = member_client.get(f"/wallet/confirm/{payment.pk}/").content.decode()
    assert "<h1>Approve this payment?</h1>" in html
    assert "<strong>Da&#x27;an Roastery</strong>" in html
    items = html.split('data-testid="confirm-items"')[1].split("</ul>")[0]
    assert "1 × Beans" in items and "1 × Latte 5" in items and items.count("<li>") == 6
    seconds = int(re.search(r'data-countdown="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert 100 <= seconds <= 120  # two minutes to decide, a moment already gone
    for button in ("approve", "decline"):
        tag = re.search(rf'<button class="([^"]*)"[^>]*data-testid="{button}"', html)
        assert tag is not None and {"btn-lg", "btn-block", "btn-xl"} <= set(tag.group(1).split())
    assert "Approve NT$1,125" in html


def test_approving_from_the_page_pays(member_client: Client, member: Member, django_user_model: Any) -> None:
    payment = waiting_till_sale(member, django_user_model)
    member_client.post(f"/wallet/confirm/{payment.pk}/", {"decision": "approve"})
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    page = member_client.get(f"/wallet/confirm/{payment.pk}/").content.decode()
    assert "data-countdown" not in page and 'data-testid="approve"' not in page
