"""A manager's walk-through in each language (issue #15), with axe after every
step: the back office's sign-in with an authenticator code, the front page and
its charts, a chart's figures opened as a table (its text alternative), and the
retention report with its cohort heat map and figures."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.test_axe_pages import LANGUAGES, MANAGER, demo_world
from tests.browser.test_walk_barista import DEMO_PASSWORD
from tests.browser.walk import Walk, in_language, type_authenticator_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def text_alternative(page: Any, testid: str) -> str:
    """What a screen reader is told about a chart: the SVG's accessible name
    and description (its title and its one-sentence summary)."""
    svg = page.get_by_test_id(testid).locator("svg[role=img]")
    ids = str(svg.get_attribute("aria-labelledby")).split()
    return " ".join(page.locator(f"[id='{ident}']").text_content() or "" for ident in ids).strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_manager_signs_in_reads_the_front_page_charts_and_a_report(
    page: Any, live_server: Any, language: str
) -> None:
    demo_world()  # load_demo, and today's sales for the charts
    page.set_viewport_size({"width": 1440, "height": 900})
    in_language(page, live_server.url, language)
    walk = Walk(page, "manager", language)
    page.goto(live_server.url + "/admin/")  # to the sign-in page
    page.locator("#id_login").wait_for()
    walk.step("sign-in")
    page.locator("#id_login").fill(MANAGER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.locator("#id_code").wait_for()
    walk.step("authenticator code")
    type_authenticator_code(page)
    page.wait_for_url(live_server.url + "/admin/")
    page.get_by_test_id("charts-panel").wait_for()
    walk.step("front page")

    sales = page.get_by_test_id("chart-sales-by-hour")
    assert len(text_alternative(page, "chart-sales-by-hour")) > len(sales.locator("figcaption").inner_text())
    sales.locator("details.chart-data summary").click()
    figures = sales.locator("details.chart-data table")
    figures.wait_for()
    walk.step("a chart's figures")
    assert figures.locator("tbody tr").count() > 0

    retention = reverse("admin:campaigns_membersegment_retention")
    page.locator(f".charts-panel a[href='{retention}']").click()
    page.wait_for_url(live_server.url + retention)
    walk.step("retention report")
    heat = page.locator("figure.chart-heat").first
    assert heat.locator("svg[role=img] desc").text_content()
    heat.locator("details.chart-data summary").click()
    heat.locator("details.chart-data table").wait_for()
    walk.step("the heat map's figures")
    walk.clean()
