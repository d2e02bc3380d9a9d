"""A barista's walk-through in each language (issue #15), with axe after every
step: the staff sign-in with an authenticator code, a latte made large with
oat milk on the modifier buttons, the member's code typed in the scan field, a
short wallet and the rest in cash, the receipt, a refund through its confirm
page, and the shift closed by the shift manager with the drawer NT$10 short."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext

from payments.models import Account, ModifierOption, Order, OrderLine, Store, Tender
from payments.selectors.ledger import ledger_problems
from payments.selectors.shifts import z_report
from payments.services.codes import payment_code_issue
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up
from tests.browser.test_axe_pages import BARISTA, LANGUAGES, SHIFT_MANAGER
from tests.browser.walk import Walk, in_language, load_demo, type_authenticator_code
from tests.conftest import MemberFactory
from tests.pos.test_browser_till import till_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-pass-1234"  # load_demo's staff password (README)


def staff_signs_in(walk: Walk, base: str, email: str) -> None:
    page = walk.page
    page.goto(base + "/pos/")  # to the staff sign-in page
    page.get_by_test_id("staff-login").wait_for()
    walk.step(f"staff sign-in ({email})")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_test_id("staff-login-submit").click()
    page.locator("#id_code").wait_for()
    walk.step("authenticator code")
    type_authenticator_code(page)
    page.wait_for_url(base + "/pos/")
    walk.step("the till")


def option(group: str, name: str) -> ModifierOption:
    return ModifierOption.objects.get(group_en=group, name_en=name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_barista_sells_splits_the_tender_refunds_and_the_shift_closes(
    page: Any, live_server: Any, language: str
) -> None:
    load_demo()
    store = Store.objects.get(slug="daan")
    users = get_user_model().objects
    shift = shift_open(store=store, user=users.get(email=SHIFT_MANAGER), opening_float=100_000)
    member = MemberFactory.create(display_name="Chen Yu", email="chen@example.com")
    wallet_top_up(member=member, amount=10_000, tender="cash", store=store)  # NT$100: short of a large latte
    page.set_viewport_size({"width": 1280, "height": 800})
    in_language(page, live_server.url, language)
    walk = Walk(page, "barista", language)
    staff_signs_in(walk, live_server.url, BARISTA)

    till_answers(page, "/add/", page.get_by_test_id("product-latte").click)
    walk.step("a latte in the cart")
    line = OrderLine.objects.get(order__barista__email=BARISTA, order__status="open", order__member__isnull=True)
    for group, name in (("Size", "Large"), ("Milk", "Oat milk")):
        till_answers(page, "/modifiers/", page.locator(f"#mod-{line.pk}-{option(group, name).pk}").click)
        walk.step(f"{name} pressed")
    total = page.get_by_test_id("till-total")
    assert total.inner_text() == "NT$165"  # latte 120 + large 30 + oat 15

    page.get_by_test_id("scan").fill(payment_code_issue(member=member).code)
    till_answers(page, "/scan/", lambda: page.get_by_test_id("scan").press("Enter"))
    walk.step("member scanned, wallet short")
    assert page.get_by_test_id("till-wallet-balance").inner_text() == "NT$100"
    page.locator("input[name=cash_received]").fill("100")
    till_answers(page, "/pay/", page.get_by_test_id("pay-wallet-cash").click)
    page.get_by_test_id("paid").wait_for()
    walk.step("paid, change to give")
    order = Order.objects.get(pk=line.order_id)
    assert order.status == Order.Status.PAID and order.total == 16_500
    tenders = list(order.tenders.order_by("pk"))
    assert [(t.kind, t.amount) for t in tenders] == [("wallet", 10_000), ("cash", 6_500)]
    assert tenders[1].change_given == 3_500
    assert Account.objects.get(member=member).balance == 0

    with page.context.expect_page() as opened:
        page.locator(f"a[href='/pos/orders/{order.pk}/receipt/']").click()
    receipt = opened.value
    receipt_walk = Walk(receipt, "barista", language)
    receipt_walk.step("receipt")
    receipt.close()
    walk.found += receipt_walk.found

    page.locator(".pos-nav a[href='/pos/orders/']").click()
    page.get_by_test_id(f"refund-{order.pk}").wait_for()
    walk.step("orders")
    page.get_by_test_id(f"refund-{order.pk}").click()
    page.get_by_test_id("review-whole").wait_for()
    walk.step("refund")
    page.get_by_test_id("review-whole").click()
    page.get_by_test_id("refund-summary").wait_for()
    walk.step("refund to confirm")
    assert page.get_by_test_id("refund-back-wallet").is_visible()
    assert page.get_by_test_id("refund-back-cash").is_visible()
    assert page.get_by_test_id("refund-total").inner_text() == "NT$165"
    page.get_by_test_id("confirm-refund").click()
    page.wait_for_url(live_server.url + "/pos/")  # back at the till
    walk.step("the till after the refund")
    assert Account.objects.get(member=member).balance == 10_000
    assert ledger_problems() == []

    page.locator(".pos-nav a[href='/pos/shift/']").click()
    page.get_by_test_id("close-needs-manager").wait_for()
    walk.step("shift, as the barista")
    page.locator(".pos-user button[type=submit]").click()
    page.wait_for_load_state()
    page.context.clear_cookies()  # the next person at the till
    in_language(page, live_server.url, language)
    staff_signs_in(walk, live_server.url, SHIFT_MANAGER)
    page.locator(".pos-nav a[href='/pos/shift/']").click()
    page.get_by_test_id("counted").wait_for()
    walk.step("shift, as the shift manager")
    expected = z_report(shift=shift).expected_cash
    page.get_by_test_id("counted").fill(str(expected // 100 - 10))  # the drawer is NT$10 short
    page.get_by_test_id("counted").press("Enter")
    page.get_by_test_id("z-over-short").wait_for()
    walk.step("Z report")
    shift.refresh_from_db()
    assert shift.closed_at is not None and shift.closed_by == users.get(email=SHIFT_MANAGER)
    assert z_report(shift=shift).over_short == -1_000
    assert "NT$10" in page.get_by_test_id("z-over-short").inner_text()
    with translation.override(language):  # each tender by its name, as the till says it
        named = {gettext("Tender: %(label)s") % {"label": Tender.Kind(kind).label} for kind in ("wallet", "cash")}
    assert set(page.get_by_test_id("z-tender").locator("th").all_inner_texts()) == named
    walk.clean()
