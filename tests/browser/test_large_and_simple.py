"""The "large and simple" mode (issue #15) on a 390×844 phone: a member turns it
on in their profile; then the pay code is the first page, text is 20 px (and
follows the browser's text size), every target is at least 56 px tall, the
page fits the screen sideways and nothing scrolls sideways like a carousel."""

from __future__ import annotations

from typing import Any

import pytest

from members.models import Member
from tests.browser.test_reflow import sideways_overflow
from tests.portal.test_browser_portal import log_in, member_user  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Visible links, buttons and form controls, with their height.
TARGETS = """() => [...document.querySelectorAll("a, button, input, select, summary, [role=button]")]
    .filter((el) => el.type !== "hidden" && el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
    .filter((el) => !el.closest(".sr-only"))
    .map((el) => {
        const target = el.closest("label, .tap-target, .check-line") || el;
        const box = target.getBoundingClientRect();
        return {what: el.outerHTML.slice(0, 90), height: box.height};
    })"""
# Anything that scrolls sideways inside the page (a carousel, a strip of cards).
SIDEWAYS_STRIPS = """() => [...document.querySelectorAll("body *")].filter((el) => {
    const overflow = getComputedStyle(el).overflowX;
    return (overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth;
}).length"""


def test_large_and_simple_mode_on_a_phone(page: Any, live_server: Any, member_user: Any) -> None:  # noqa: F811
    log_in(page, live_server.url, member_user.email)
    page.goto(live_server.url + "/me/")
    page.get_by_label("Large and simple").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Profile saved.").wait_for()
    assert Member.objects.get(user=member_user).large_and_simple

    page.goto(live_server.url + "/")
    assert page.url == live_server.url + "/pay/"  # the pay code is the home page
    qr = page.get_by_test_id("payment-qr")
    qr.wait_for()
    box = qr.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "20px"
    assert not page.get_by_text("Show this code to the barista.", exact=False).is_visible()  # fewer words

    for path in ["/pay/", "/wallet/", "/me/", "/me/inbox/", "/offers/", "/more/"]:
        page.goto(live_server.url + path)
        small = [target for target in page.evaluate(TARGETS) if target["height"] < 55.5]
        assert not small, f"{path}: targets under 56 px: {small[:5]}"
        assert sideways_overflow(page) == 0, path
        assert page.evaluate(SIDEWAYS_STRIPS) == 0, path

    # The browser's text size (the root font size) scales the mode's text too.
    page.evaluate("() => { document.documentElement.style.fontSize = '125%'; }")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "25px"


def test_without_the_mode_the_card_is_the_home_page(page: Any, live_server: Any, member_user: Any) -> None:  # noqa: F811
    log_in(page, live_server.url, member_user.email)
    assert page.url == live_server.url + "/"
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "16px"
