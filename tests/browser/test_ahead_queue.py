"""The barista's order-ahead queue in the browser at 1280×800: an order paid
from the portal appears within 3 s without a reload, flashes as new, moves
Start → Ready → Collected; the page, the ticket and the sold-out list have no
serious or critical WCAG 2.2 AA violation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.services.ahead import ahead_order_place
from tests.ahead.conftest import latte, open_store
from tests.browser.axe import axe_violations, describe, htmx_settled
from tests.conftest import MemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-queue")


def signed_in(page: Any, base: str, user: Any) -> None:
    """The barista's session as a cookie (the till's sign-in with MFA is
    tested in tests/pos)."""
    device = Client()
    device.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": device.cookies["sessionid"].value, "url": base}])


def no_violations(page: Any, what: str) -> None:
    htmx_settled(page)
    found = axe_violations(page)
    assert not found, describe(what, found)


def shot(page: Any, name: str) -> None:
    if SHOTS.is_dir():  # screenshots for a person to look at, when the folder is there
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_an_order_appears_without_reload_and_goes_start_ready_collected(
    page: Any, live_server: Any, barista_user: Any
) -> None:
    load_menu_demo()
    store: Store = open_store(slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    mei: Member = MemberFactory.create(display_name="Mei Lin", balance=100_000)
    ahead_order_place(member=mei, store=store, lines=[latte(1, "Oat milk", note="extra hot")])

    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in(page, live_server.url, barista_user)
    page.goto(live_server.url + "/pos/ahead/")
    cards = page.get_by_test_id("ahead-card")
    assert cards.count() == 1
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads

    placed = time.monotonic()
    order = ahead_order_place(member=mei, store=store, lines=[latte(2, "Large"), latte()]).order
    fresh = page.locator(f"[data-ahead-order='{order.pk}']")
    fresh.wait_for(timeout=3_000)
    assert time.monotonic() - placed < 3.5
    assert page.evaluate("() => window.__sameDocument === true")
    assert "is-arrived" in (fresh.get_attribute("class") or "")
    assert "2 × Latte" in fresh.inner_text() and "Large" in fresh.inner_text()
    # The tab's count of new orders (on every till page) catches up by itself too.
    page.get_by_test_id("ahead-badge").filter(has_text="2").wait_for(timeout=3_500)
    shot(page, "queue-1280x800")
    no_violations(page, "/pos/ahead/")

    for button, step in (("ahead-preparing", "preparing"), ("ahead-ready", "ready"), ("ahead-collected", "collected")):
        with page.expect_response(lambda r: "/advance/" in r.url and r.request.method == "POST"):
            fresh.get_by_test_id(button).click()
        htmx_settled(page)
        assert Order.objects.get(pk=order.pk).prep_status == step
        if step == "ready":
            assert "Ready" in fresh.get_by_test_id("ahead-step").inner_text()
    page.locator(f"[data-ahead-order='{order.pk}']").wait_for(state="detached")
    assert cards.count() == 1 and page.evaluate("() => window.__sameDocument === true")
    assert ledger_problems() == []

    # The chime is off until turned on, and stays as set on the next visit.
    chime = page.get_by_test_id("ahead-chime")
    assert chime.get_attribute("aria-pressed") == "false"
    chime.click()
    page.reload()
    assert page.get_by_test_id("ahead-chime").get_attribute("aria-pressed") == "true"


def test_the_ticket_and_sold_out_pages_pass_axe_at_1280(page: Any, live_server: Any, barista_user: Any) -> None:
    load_menu_demo()
    store = open_store(slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    mei = MemberFactory.create(display_name="Mei Lin", balance=100_000)
    order = ahead_order_place(member=mei, store=store, lines=[latte(1, "Oat milk", note="no lid")]).order
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in(page, live_server.url, barista_user)
    page.goto(live_server.url + f"/pos/ahead/{order.pk}/ticket/")
    assert page.get_by_test_id("ticket-name").inner_text() == "Mei"
    page.emulate_media(media="print")
    assert not page.get_by_test_id("ticket-print").is_visible()  # the print stylesheet hides the button
    page.emulate_media(media="screen")
    no_violations(page, "ticket")
    shot(page, "ticket")
    page.goto(live_server.url + "/pos/ahead/sold-out/")
    with page.expect_response(lambda r: "/sold-out/products/" in r.url):
        page.get_by_test_id("sold-out-product-latte").click()
    htmx_settled(page)
    assert page.get_by_test_id("sold-out-product-latte").get_attribute("aria-pressed") == "true"
    no_violations(page, "/pos/ahead/sold-out/")
    shot(page, "sold-out")
    page.goto(live_server.url + "/pos/ahead/")
    page.get_by_test_id("ahead-reason").fill("Short of staff")
    with page.expect_response(lambda r: "/ahead/pause/" in r.url):
        page.get_by_test_id("ahead-pause-30").click()
    page.get_by_test_id("ahead-paused").wait_for()
    no_violations(page, "/pos/ahead/ paused")
    shot(page, "paused")
