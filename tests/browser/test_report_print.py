"""Issue #17, item 5: reports print. With print media at the width of A4
paper, the admin's header, sidebar and filter buttons are gone, the charts and
their figures stay, and nothing runs off the page's edge; Chromium's own PDF of
the page is a real document."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.test_axe_pages import MANAGER, demo_world, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A4 is 210 mm wide: 794 CSS pixels, less Chromium's default margins of 1 cm a side.
A4_PRINTABLE_WIDTH = 718


@pytest.mark.parametrize(
    ("report", "chart"),
    [
        ("admin:payments_order_report", "chart-sales-heat-map"),
        ("admin:payments_account_liability", "chart-points-expiry"),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_report_prints_its_charts_without_the_admin_around_them(
    page: Any, live_server: Any, report: str, chart: str, language: str
) -> None:
    demo_world()
    signed_in(page, live_server.url, MANAGER, language)
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH, "height": 1000})
    page.goto(live_server.url + reverse(report))
    page.get_by_test_id(chart).wait_for()
    header, filter_button = page.locator("#header"), page.get_by_test_id("report-filters").locator(".button").first
    assert header.is_visible() and filter_button.is_visible()  # what print must take away is there on screen

    page.emulate_media(media="print")
    assert not header.is_visible() and not filter_button.is_visible()
    figure = page.get_by_test_id(chart).locator("svg[role=img]")
    assert figure.is_visible() and figure.locator("desc").text_content()
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    box = figure.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= A4_PRINTABLE_WIDTH

    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
