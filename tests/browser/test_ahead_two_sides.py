"""Order ahead from both sides at once (issue #16's acceptance): a member on a
390×844 phone and a barista at a 1280×800 till, two browser contexts of one
browser, each signed in through its own sign-in page. The member orders a
latte made large with oat milk and an extra shot, with a note, and pays from
the wallet; the order appears in the barista's queue without a reload; the
barista presses Start, then Ready; the member's order page says "Ready"
without a reload and the inbox has the notice. Axe runs on every step of both
(WALK_SHOTS=/some/dir keeps a screenshot of each: the README's come from it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from members.models import Member
from members.selectors import points_problems
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, Order, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from tests.ahead.conftest import open_store
from tests.ahead.portal import fund
from tests.browser.walk import Walk, type_authenticator_code
from tests.conftest import ARTIFACTS, PASSWORD
from tests.portal.test_browser_portal import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FUNDED = 100_000  # NT$1,000; the drink is under the no-confirmation limit, so it pays at once
TOTAL = 18_500  # latte 120 + large 30 + oat milk 15 + extra shot 20


@pytest.fixture
def till(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The barista's own browser context beside the member's `page`: its own
    cookies, a till-sized window."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-till.png"))
    context.close()


def barista_signs_in(walk: Walk, base: str, email: str) -> None:
    """The till's sign-in: password, then the authenticator's code."""
    page = walk.page
    page.goto(base + "/pos/login/")
    walk.step("staff sign-in")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_test_id("staff-login-submit").click()
    type_authenticator_code(page)
    page.wait_for_url(base + "/pos/")
    page.get_by_test_id("nav-ahead").click()
    page.wait_for_url(base + "/pos/ahead/")
    page.get_by_test_id("ahead-empty").wait_for()
    walk.step("the queue, empty")


def member_orders_a_custom_latte(walk: Walk, store: Store) -> None:
    page = walk.page
    page.get_by_test_id("order-ahead").click()
    page.wait_for_url("**/order/")
    page.get_by_test_id(f"store-{store.slug}").locator("a").click()
    page.wait_for_url(f"**/order/{store.slug}/")
    walk.step("menu")
    page.get_by_test_id("product-latte").locator("a").click()
    for name in ("Large", "Oat milk", "Extra shot"):
        page.locator("label.choice", has_text=name).click()
    page.get_by_label("Note for the baristas").fill("extra hot")
    walk.step("item sheet, customised")
    page.get_by_test_id("add-to-cart").click()
    page.get_by_text("Added to your cart: Latte.").wait_for()
    page.get_by_test_id("cart-link").click()
    page.wait_for_url(f"**/order/{store.slug}/cart/")
    assert page.get_by_test_id("cart-total").inner_text() == "NT$185"
    walk.step("cart")


def test_a_member_orders_ahead_and_the_barista_makes_it_both_live(
    page: Any, till: Any, live_server: Any, member_user: Any, barista_user: Any
) -> None:
    load_menu_demo()
    store = open_store(slug="ahead")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    member = fund(Member.objects.get(user=member_user), FUNDED)
    base = live_server.url
    phone, counter = Walk(page, "member", "en"), Walk(till, "barista", "en")

    barista_signs_in(counter, base, barista_user.email)
    # Gone if the till reloads: the order must come to the open page by itself.
    till.evaluate("() => { window.__sameDocument = true; }")

    log_in(page, base, member_user.email)
    member_orders_a_custom_latte(phone, store)
    page.get_by_test_id("pay").click()
    paid = time.monotonic()
    page.get_by_test_id("order-status").wait_for()
    order = Order.objects.get(member=member, channel=Order.Channel.AHEAD)
    assert page.url.endswith(f"/orders/{order.pk}/")
    assert page.get_by_test_id("order-status").inner_text() == "Received"
    page.evaluate("() => { window.__sameDocument = true; }")
    phone.step("order received")

    # The queue polls every 2 s: the order is there within a few seconds.
    card = till.locator(f"[data-ahead-order='{order.pk}']")
    card.wait_for(timeout=5_000)
    assert time.monotonic() - paid < 5.5
    text = card.inner_text()
    for shown in ("Latte", "Large", "Oat milk", "Extra shot", "extra hot", "Mei"):
        assert shown in text, f"{shown!r} not on the card: {text!r}"
    counter.step("the order in the queue")

    for button, step in (("ahead-preparing", "preparing"), ("ahead-ready", "ready")):
        with till.expect_response(lambda r: "/advance/" in r.url and r.request.method == "POST"):
            card.get_by_test_id(button).click()
        counter.step(f"pressed {step}")
        assert Order.objects.get(pk=order.pk).prep_status == step
    assert "Ready" in card.get_by_test_id("ahead-step").inner_text()
    assert till.evaluate("() => window.__sameDocument === true")

    # The member's page polls every 3 s; it says "Ready" without a reload.
    page.get_by_test_id("order-ready").wait_for(timeout=8_000)
    assert page.get_by_test_id("order-status").inner_text() == "Ready"
    assert page.evaluate("() => window.__sameDocument === true")
    phone.step("order ready")

    page.locator(".inbox-link[href='/me/inbox/']").click()
    page.wait_for_url(base + "/me/inbox/")
    notice = page.get_by_test_id("inbox-list").locator("li", has_text="Your order is ready at Store ahead")
    assert notice.count() == 1
    assert f"Order {order.pk} is waiting for you at the counter." in notice.inner_text()
    phone.step("inbox")

    order.refresh_from_db()
    assert order.prep_status == Order.PrepStatus.READY and order.status == Order.Status.PAID
    assert order.total == TOTAL
    assert Account.objects.get(member=member).balance == FUNDED - TOTAL
    assert ledger_problems() == [] and points_problems() == []
    phone.clean()
    counter.clean()
