"""At 200% zoom the portal reflows (issue #15, WCAG 1.4.10): every portal page
fits a 320 CSS px wide window with no sideways scrolling, and on a phone with
the text at 200% the payment QR code and its digits fit the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import htmx_settled
from tests.browser.test_axe_pages import LANGUAGES, MEMBER, demo_world, portal_paths, signed_in, visitor_paths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What overflows sideways, for the failure message: elements wider than the page.
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 1)
        .slice(0, 5)
        .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
}"""


def sideways_overflow(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_portal_page_reflows_at_320_css_px(page: Any, live_server: Any, language: str) -> None:
    """320 CSS px is a 1280 px window at 400% or a phone at 200%: WCAG's reflow width."""
    world = demo_world()
    page.set_viewport_size({"width": 320, "height": 640})
    overflowing = []
    signed_in(page, live_server.url, None, language)
    for path in visitor_paths(world):
        page.goto(live_server.url + path)
        if sideways_overflow(page) > 0:
            overflowing.append(f"{path} (signed out): {page.evaluate(OVERFLOWING)}")
    signed_in(page, live_server.url, MEMBER, language)
    for path in portal_paths(world):
        page.goto(live_server.url + path)
        htmx_settled(page)
        if sideways_overflow(page) > 0:
            overflowing.append(f"{path}: {page.evaluate(OVERFLOWING)}")
    assert not overflowing, "pages scroll sideways at 320 px:\n" + "\n".join(overflowing)


def test_the_pay_code_fits_a_phone_with_text_at_200_percent(page: Any, live_server: Any) -> None:
    demo_world()
    signed_in(page, live_server.url, MEMBER, "zh-hant")
    page.goto(live_server.url + "/pay/")
    # The browser's text size setting is the root font size; the portal sizes in rem.
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "32px"
    qr, digits = page.get_by_test_id("payment-qr"), page.get_by_test_id("payment-code")
    qr.wait_for()
    viewport = page.viewport_size
    # Without scrolling: the code and its digits sit between the header and the tab bar.
    tabbar_top = page.locator(".tabbar").bounding_box()["y"]
    for element in (qr, digits):
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        assert box["y"] >= 0 and box["y"] + box["height"] <= tabbar_top, (box, tabbar_top)
    assert sideways_overflow(page) == 0
