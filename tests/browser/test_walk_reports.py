"""A manager's walk through the sales and liability reports (issue #17), in
each language, with axe after every step: from the front page's list of
reports, filter, read a chart, download the CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from payments.models import Store
from tests.browser.test_axe_pages import LANGUAGES, MANAGER, demo_world
from tests.browser.test_walk_barista import DEMO_PASSWORD
from tests.browser.walk import Walk, in_language, type_authenticator_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def download_csv(page: Any) -> str:
    with page.expect_download() as info:
        page.get_by_test_id("report-csv").click()
    body = Path(info.value.path()).read_bytes()
    assert body.startswith("\ufeff".encode()), "Excel needs the byte-order mark to read UTF-8"
    return body.decode("utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_manager_filters_each_report_reads_its_chart_and_downloads_the_csv(
    page: Any, live_server: Any, language: str
) -> None:
    demo_world()  # load_demo, and today's sales
    store = Store.objects.get(slug="daan")
    page.set_viewport_size({"width": 1440, "height": 900})
    in_language(page, live_server.url, language)
    walk = Walk(page, "reports", language)
    page.goto(live_server.url + "/admin/")
    page.locator("#id_login").fill(MANAGER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    type_authenticator_code(page)
    page.wait_for_url(live_server.url + "/admin/")
    page.get_by_test_id("reports-panel").wait_for()
    walk.step("front page")

    sales = reverse("admin:payments_order_report")
    page.locator(f".reports-panel a[href='{sales}']").click()
    page.wait_for_url(live_server.url + sales)
    page.locator("#id_store").select_option(str(store.pk))
    page.locator("#id_grain").select_option("week")
    page.get_by_test_id("report-filters").locator("button[type=submit]").click()
    page.wait_for_url(f"**store={store.pk}**")
    heat = page.get_by_test_id("chart-sales-heat-map")
    assert heat.locator("svg[role=img] desc").text_content()
    orders = heat.locator("details.chart-data tbody td").all_text_contents()
    assert sum(int(cell) for cell in orders if cell.strip().isdigit()) >= 1  # today's paid latte
    walk.step("sales report for one store")
    body = download_csv(page)
    assert store.name in body.splitlines()[0]

    page.goto(live_server.url + "/admin/")
    liability = reverse("admin:payments_account_liability")
    page.locator(f".reports-panel a[href='{liability}']").click()
    page.wait_for_url(live_server.url + liability)
    page.locator("#id_months").select_option("6")
    page.get_by_test_id("report-filters").locator("button[type=submit]").click()
    page.wait_for_url("**months=6**")
    assert page.get_by_test_id("chart-points-expiry").locator("svg[role=img]").count() == 1
    assert page.get_by_test_id("reconciliation").locator("li.ok").count() == 2
    walk.step("liability report")
    download_csv(page)
    walk.clean()
