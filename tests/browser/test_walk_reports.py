"""A manager's walk through the sales, liability, repurchase and offers
reports (issue #17), in each language, with axe after every step: from the front page's list of
reports, filter, read a chart, download the CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.models import CouponTemplate
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
    ids = demo_world()  # load_demo, and today's sales
    template = CouponTemplate.objects.order_by("pk").first()
    assert template is not None
    coupon_issue(member=ids["member"], template=template, source="manual")
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

    page.goto(live_server.url + "/admin/")
    repurchase = reverse("admin:payments_order_repurchase")
    page.locator(f".reports-panel a[href='{repurchase}']").click()
    page.wait_for_url(live_server.url + repurchase)
    page.locator("#id_store").select_option(str(store.pk))
    page.get_by_test_id("report-filters").locator("button[type=submit]").click()
    page.wait_for_url(f"**store={store.pk}**")
    gaps = page.get_by_test_id("chart-repurchase-gaps")
    assert gaps.locator("svg[role=img] desc").text_content()
    assert gaps.locator("details.chart-data tbody tr").count() == 6  # the histogram's bars, as a table
    assert store.name in page.get_by_test_id("repurchase-total").text_content()
    walk.step("repurchase report for one store")
    body = download_csv(page)
    assert store.name in body.splitlines()[0]

    page.goto(live_server.url + "/admin/")
    offers = reverse("admin:payments_order_offers")
    page.locator(f".reports-panel a[href='{offers}']").click()
    page.wait_for_url(live_server.url + offers)
    start = (timezone.localdate() - timedelta(days=6)).isoformat()
    page.locator("#id_start").fill(start)
    page.get_by_test_id("report-filters").locator("button[type=submit]").click()
    page.wait_for_url(f"**start={start}**")
    assert page.get_by_test_id("chart-offers-redemption").locator("svg[role=img] desc").text_content()
    assert template.name in page.get_by_test_id("offers-coupons").text_content()  # the coupon issued above
    walk.step("offers report for the last week")
    body = download_csv(page)
    assert start in body.splitlines()[0]
    walk.clean()
