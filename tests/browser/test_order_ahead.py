"""Order ahead on a 390×844 phone (issue 16): the member chooses the nearest
store, adds a drink with its options, pays from the wallet and sees
"received"; the baristas (through the service) start it and mark it ready,
and the order page follows without a reload. axe-core finds no serious or
critical WCAG 2.2 AA violation on any of the pages, and they work in the
large and simple mode. Screenshots go to /tmp/shots-ahead/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from members.models import Member
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, Order, Store
from payments.services.ahead import ahead_order_advance
from tests.ahead.conftest import open_store
from tests.ahead.portal import fund
from tests.browser.axe import axe_violations, describe, htmx_settled
from tests.browser.test_large_and_simple import TARGETS
from tests.browser.test_reflow import sideways_overflow
from tests.portal.test_browser_portal import log_in, member_user  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-ahead")
HERE = {"latitude": 25.0330, "longitude": 121.5654}  # beside the "ahead" store


def two_stores() -> Store:
    """The store to order from, and one far away that sorts first by name."""
    load_menu_demo()
    store = open_store(slug="ahead", latitude="25.033100", longitude="121.565500")
    open_store(slug="a-far-one", latitude="22.627300", longitude="120.301400")
    Store.objects.filter(slug="a-far-one").update(name="A far store")
    return store


def no_serious_violations(page: Any) -> None:
    htmx_settled(page)
    found = axe_violations(page)
    assert not found, describe(page.url, found)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_member_orders_a_drink_ahead_pays_and_sees_it_become_ready_live(
    page: Any,
    live_server: Any,
    member_user: Any,  # noqa: F811
) -> None:
    store = two_stores()
    member = fund(Member.objects.get(user=member_user))
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(HERE)
    log_in(page, live_server.url, member_user.email)

    page.get_by_test_id("order-ahead").click()
    page.wait_for_url("**/order/")
    page.locator("[data-distance]:visible").first.wait_for()  # the browser sorted by distance
    cards = page.locator("[data-store-list] > li")
    assert cards.first.get_attribute("data-testid") == "store-ahead"
    assert "m" in cards.first.locator("[data-distance]").inner_text()
    no_serious_violations(page)
    shot(page, "1-stores")

    cards.first.locator("a").click()
    page.wait_for_url(f"**/order/{store.slug}/")
    no_serious_violations(page)
    shot(page, "2-menu")

    page.get_by_test_id("product-latte").locator("a").click()
    page.locator("label.choice", has_text="Large").click()
    page.locator("label.choice", has_text="Oat milk").click()
    page.locator("label.choice", has_text="Extra shot").click()
    page.get_by_label("Note for the baristas").fill("extra hot")
    no_serious_violations(page)
    shot(page, "3-item")
    page.get_by_test_id("add-to-cart").click()
    page.get_by_text("Added to your cart: Latte.").wait_for()

    page.get_by_test_id("cart-link").click()
    page.wait_for_url(f"**/order/{store.slug}/cart/")
    assert page.get_by_test_id("cart-total").inner_text() == "NT$185"  # 120 + 30 + 15 + 20
    no_serious_violations(page)
    shot(page, "4-cart")
    page.get_by_test_id("pay").click()

    page.get_by_test_id("order-status").wait_for()
    assert page.get_by_test_id("order-status").inner_text() == "Received"
    order = Order.objects.get(member=member)
    assert Account.objects.get(member=member).balance == 100_000 - 18_500
    assert page.url.endswith(f"/orders/{order.pk}/")
    no_serious_violations(page)
    shot(page, "5-order-received")

    # The page is not reloaded from here on: a reload would lose this mark.
    page.evaluate("() => { window.stillThisPage = true; }")
    ahead_order_advance(order=order, status="preparing")
    page.locator("[data-testid=order-status]", has_text="Preparing").wait_for()
    assert page.get_by_test_id("cancel-order").count() == 0  # started: no longer cancellable
    ahead_order_advance(order=order, status="ready")
    page.get_by_test_id("order-ready").wait_for(timeout=8_000)
    assert page.get_by_test_id("order-status").inner_text() == "Ready"
    assert page.evaluate("() => window.stillThisPage === true")
    no_serious_violations(page)
    shot(page, "6-order-ready")


def test_the_order_ahead_pages_work_in_the_large_and_simple_mode(
    page: Any,
    live_server: Any,
    member_user: Any,  # noqa: F811
) -> None:
    store = two_stores()
    member = fund(Member.objects.get(user=member_user))
    Member.objects.filter(pk=member.pk).update(large_and_simple=True)
    log_in_simple(page, live_server.url, member_user.email)
    page.goto(live_server.url + f"/order/{store.slug}/items/{latte_id()}/")
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("cart-link").wait_for()
    page.goto(live_server.url + f"/order/{store.slug}/cart/")
    page.get_by_test_id("pay").click()
    page.get_by_test_id("order-status").wait_for()
    order = Order.objects.get(member=member)
    for path in [
        "/order/",
        f"/order/{store.slug}/",
        f"/order/{store.slug}/items/{latte_id()}/",
        f"/order/{store.slug}/cart/",
        f"/orders/{order.pk}/",
        f"/orders/{order.pk}/cancel/",
        "/orders/",
    ]:
        page.goto(live_server.url + path)
        small = [target for target in page.evaluate(TARGETS) if target["height"] < 55.5]
        assert not small, f"{path}: targets under 56 px: {small[:5]}"
        assert sideways_overflow(page) == 0, path
        no_serious_violations(page)
    shot(page, "7-large-and-simple-orders")


def latte_id() -> int:
    from tests.ahead.conftest import product

    return product("latte").pk


def log_in_simple(page: Any, base: str, email: str) -> None:
    """Signing in lands on the pay code in this mode, not the card."""
    from tests.conftest import PASSWORD

    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url(base + "/pay/")
