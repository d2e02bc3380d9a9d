"""A manager's walk through every report of issue #17 (sales, liability,
repurchase, offers, retention, segments with CLV, recommendations, A/B
variants), in each language, with axe after every step: from the front
page's list of reports (or the list the report belongs to), filter where the
report has filters, read a chart, download the CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from campaigns.coupons import coupon_issue
from campaigns.lifecycle import campaign_run
from campaigns.models import Campaign, CampaignVariant, CouponTemplate, MemberSegment
from members.models import Member
from payments.models import Product, RecommendationExposure, Store
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
    # An A/B test that has entered the demo's guests, and recommendations old
    # enough to be counted: today's latte bought by the member shown it, nothing
    # by a holdout member.
    welcome = Campaign.objects.get(kind=Campaign.Kind.WELCOME)
    CampaignVariant.objects.create(campaign=welcome, name="Pastry, by email", coupon_template=welcome.coupon_template)
    campaign_run(campaign=welcome)
    latte, paid_at = Product.objects.get(sku="latte"), ids["paid"].paid_at
    RecommendationExposure.objects.create(member=ids["member"], product=latte, since=paid_at - timedelta(days=14))
    guest = Member.objects.filter(email__endswith="@guests.demo.cafe").earliest("pk")
    RecommendationExposure.objects.create(member=guest, product=latte, holdout=True, since=paid_at - timedelta(days=14))
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

    # A coupon template's row in its list opens the offers report for that template alone.
    page.goto(live_server.url + reverse("admin:campaigns_coupontemplate_changelist"))
    page.locator(f"a[href='{offers}?template={template.pk}']").click()
    page.wait_for_url(f"**template={template.pk}**")
    assert page.locator("#id_template").input_value() == str(template.pk)
    assert page.get_by_test_id("offers-coupons").locator("tbody th").all_text_contents() == [template.name]
    # Promotions are not part of a coupon template's view: it says so, not "no promotion gave points".
    assert template.name in page.get_by_test_id("offers-promotions-filtered").text_content()
    assert page.get_by_test_id("offers-promotions").count() == 0
    walk.step("offers report for one coupon template")

    page.goto(live_server.url + "/admin/")
    retention = reverse("admin:campaigns_membersegment_retention")
    page.locator(f".reports-panel a[href='{retention}']").click()
    page.wait_for_url(live_server.url + retention)
    assert page.get_by_test_id("chart-activity").locator("svg[role=img] desc").text_content()
    walk.step("retention report")
    assert len(download_csv(page).splitlines()) > 12  # twelve months, cohorts, campaigns, segments

    page.goto(live_server.url + "/admin/")
    segments = reverse("admin:campaigns_membersegment_changelist")
    page.locator(f".reports-panel a[href='{segments}']").click()
    page.wait_for_url(live_server.url + segments)
    largest = MemberSegment.objects.values("segment").annotate(n=Count("pk")).order_by("-n", "segment")[0]
    page.locator(f"#changelist-filter a[href*='segment__exact={largest['segment']}']").click()
    page.wait_for_url(f"**segment__exact={largest['segment']}**")
    assert page.get_by_test_id("chart-segments").locator("svg[role=img] desc").text_content()
    walk.step("segments and CLV: the largest segment")
    cards = {line.split(",")[0] for line in download_csv(page).splitlines()[1:]}
    listed = MemberSegment.objects.filter(segment=largest["segment"]).values_list("member__card_number", flat=True)
    assert cards == set(listed) and len(cards) == largest["n"] > 0  # the filter's members, and only they

    page.goto(live_server.url + "/admin/")
    recommendations = reverse("admin:payments_recommendationrun_report")
    page.locator(f".reports-panel a[href='{recommendations}']").click()
    page.wait_for_url(live_server.url + recommendations)
    chart = page.get_by_test_id("chart-recommendations")
    assert chart.locator("svg[role=img] path.whisker").count() == 2  # both groups, each with its 95 % range
    assert chart.locator("details.chart-data tbody td").first.text_content() == "100.0%"
    walk.step("recommendations report")
    # On a phone the wide table scrolls sideways in its own box (in English it is wider than the
    # phone; Chinese headers wrap to fit): the page keeps the phone's width.
    page.set_viewport_size({"width": 390, "height": 844})
    if language == "en":
        wide = page.get_by_test_id("recommendation-results-scroll")
        assert wide.evaluate("(box) => box.scrollWidth > box.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    walk.step("recommendations report on a phone")
    page.set_viewport_size({"width": 1440, "height": 900})
    assert len(download_csv(page).splitlines()) >= 6

    page.goto(live_server.url + reverse("admin:campaigns_campaign_changelist"))
    variants = reverse("admin:campaigns_campaign_variants", args=[welcome.pk])
    page.locator(f"a[href='{variants}']").click()
    page.wait_for_url(live_server.url + variants)
    rows = page.get_by_test_id("chart-variants").locator("details.chart-data tbody tr")
    assert rows.count() == 2  # the holdout and the variant
    walk.step("A/B variants report")
    assert welcome.name in download_csv(page).splitlines()[0]
    walk.clean()
