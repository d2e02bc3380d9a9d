"""Every report page keeps a phone's width: its wide tables scroll sideways
in their own box (.table-scroll), so a manager on a phone scrolls a table,
not the whole page with its filters and charts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.test_axe_pages import MANAGER, demo_world, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORTS = [
    "admin:payments_order_report",
    "admin:payments_account_liability",
    "admin:campaigns_membersegment_retention",
    "admin:payments_order_repurchase",
    "admin:payments_order_offers",
    "admin:payments_recommendationrun_report",
]


def test_each_report_fits_a_phone(page: Any, live_server: Any) -> None:
    demo_world()  # load_demo, and today's sales: every table has rows
    signed_in(page, live_server.url, MANAGER, "en")
    page.set_viewport_size({"width": 390, "height": 844})
    too_wide = []
    for name in REPORTS:
        response = page.goto(live_server.url + reverse(name))
        assert response is not None and response.status == 200, name
        page.screenshot(path=f"test-artifacts/report-phone-{name.split(':')[1]}.png", full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            too_wide.append(f"{name}: {width} px")
    assert not too_wide, too_wide
