"""A new member's walk-through in each language (issue #15), with axe after
every step: the language chosen in the footer, sign-up (once with a mistake),
the emailed code, the card, a top-up through the test gateway, the pay code
that a barista takes, and the receipt in the inbox, opened and so read."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import mail

from cafe_loyalty.core.money import format_money
from members.models import Member, Notice
from payments.models import Account, Order, Product
from payments.services.codes import hash_payment_code
from payments.services.orders.cart import order_add_product, order_attach_member_by_code, order_open
from payments.services.orders.tenders import order_add_tender
from tests.browser.test_axe_pages import BARISTA, LANGUAGES
from tests.browser.walk import Walk, load_demo
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "lin@example.com"


def barista_takes(code: str) -> Order:
    """The other actor: a barista at Da'an rings up a latte and takes the
    member's code (the till itself is walked through in test_walk_barista)."""
    from django.contrib.auth import get_user_model

    from payments.models import Store

    order = order_open(store=Store.objects.get(slug="daan"), barista=get_user_model().objects.get(email=BARISTA))
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order_attach_member_by_code(order=order, code_hash=hash_payment_code(code))
    order_add_tender(order=order, kind="wallet", idempotency_key=uuid.uuid4().hex, actor=order.barista)
    return Order.objects.get(pk=order.pk)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_member_signs_up_tops_up_pays_and_reads_the_receipt(page: Any, live_server: Any, language: str) -> None:
    load_demo()
    walk = Walk(page, "member", language)
    page.goto(live_server.url + "/")
    # The language as a person picks it: the footer's switcher sends itself.
    with page.expect_navigation():
        page.locator("#lang-select").select_option(language)
    walk.step("welcome")

    page.locator("a[href='/accounts/signup/']").first.click()
    page.locator("#id_email").wait_for()
    walk.step("sign-up")
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_name").fill("Lin Wen")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD + "x")  # a slip: the two passwords differ
    page.locator("#id_marketing_email").check()
    page.locator("form button[type=submit]").click()
    page.locator(".field-error, .errorlist").first.wait_for()
    walk.step("sign-up with an error")
    assert not Member.objects.filter(email=EMAIL).exists()

    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    walk.step("the emailed code")
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", str(mail.outbox[-1].body))
    assert code is not None
    page.locator("#id_code").fill(code.group(1))
    page.locator("form button[type=submit]").first.click()
    page.get_by_test_id("member-card").wait_for()
    walk.step("the card")
    member = Member.objects.get(email=EMAIL)
    assert member.preferred_language == language

    page.locator(".tabbar a[href='/wallet/']").click()
    page.get_by_test_id("wallet-balance").wait_for()
    walk.step("wallet")
    page.locator("a[href='/wallet/top-up/']").first.click()
    page.locator("#id_amount").wait_for()
    walk.step("top-up")
    page.locator(".presets .pill[data-value='300']").click()
    assert page.locator("#id_amount").input_value() == "300"
    page.locator("form button[type=submit].btn-primary").click()
    page.wait_for_url(live_server.url + "/wallet/")
    walk.step("wallet after the top-up")
    assert Account.objects.get(member=member).balance == 30_000

    page.locator(".tabbar a.tab-pay").click()
    page.get_by_test_id("payment-code").wait_for()
    walk.step("the pay code")
    before = set(Notice.objects.filter(member=member).values_list("pk", flat=True))
    spent = str(page.get_by_test_id("payment-code").get_attribute("data-code"))
    order = barista_takes(spent)
    assert order.status == Order.Status.PAID
    # The pay page polls, so the member sees the payment without reloading,
    # and the spent code gives way to a new one with the balance as it is now.
    page.get_by_test_id("recent-payment").wait_for()
    page.wait_for_function(
        "(spent) => document.querySelector('[data-testid=payment-code]').dataset.code !== spent", arg=spent
    )
    walk.step("the pay code, paid")
    balance = Account.objects.get(member=member).balance
    assert balance == 30_000 - order.total
    assert page.locator("#pay-balance").inner_text() == format_money(balance)

    page.locator(".site-header a[href='/me/inbox/']").click()
    page.get_by_test_id("inbox-list").wait_for()
    walk.step("inbox")
    made = Notice.objects.filter(member=member).exclude(pk__in=before)
    assert made.count() == 1  # one purchase, one notice: the receipt
    receipt = made.get()
    assert receipt.kind == Notice.Kind.WALLET and receipt.link == f"/wallet/receipts/{order.pk}/"
    assert receipt.read_at is None
    page.locator(f"a.notice-open[href='/me/inbox/{receipt.pk}/']").click()
    page.get_by_test_id("notice").wait_for()
    walk.step("the receipt")
    receipt.refresh_from_db()
    assert receipt.read_at is not None
    walk.clean()
