"""Issue 17, items 10 and 11 in a browser: the member sees today's perks on
the card page (phone width), the barista sees them as badges beside the
member, and the manager reads the A/B report — each page free of serious
WCAG violations, in English and 繁體中文. WALK_SHOTS=/some/dir keeps a
screenshot of each."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignEntry, CampaignVariant, CouponTemplate, Promotion
from members.models import Member, Visit
from payments.models import Product, Store
from payments.services.orders.cart import order_add_product, order_attach_member
from tests.browser.axe import axe_violations, describe, htmx_settled
from tests.browser.test_axe_pages import BARISTA, MANAGER, MEMBER, signed_in
from tests.browser.walk import load_demo
from tests.conftest import MemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("WALK_SHOTS", "")


def look(page: Any, url: str, name: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    htmx_settled(page)
    violations = axe_violations(page)
    assert not violations, describe(url, violations)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def a_member_day_every_day() -> None:
    Promotion.objects.create(name="Member day", multiplier_percent=200, is_member_day=True, stackable=True)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_member_sees_todays_perks_on_the_card(page: Any, live_server: Any, language: str) -> None:
    load_demo()
    a_member_day_every_day()
    signed_in(page, live_server.url, MEMBER, language)
    look(page, live_server.url + "/", f"perks-card-390-{language}")
    perks = page.get_by_test_id("perks")
    expected = "Today: member day — double points" if language == "en" else "今天：會員日 — 雙倍點數"
    assert expected in perks.inner_text()
    page.set_viewport_size({"width": 1280, "height": 800})
    look(page, live_server.url + "/", f"perks-card-1280-{language}")


def test_barista_sees_the_members_perks_beside_their_name(page: Any, live_server: Any) -> None:
    load_demo()
    a_member_day_every_day()
    store = Store.objects.get(slug="daan")
    member = Member.objects.get(user__email=MEMBER)
    signed_in(page, live_server.url, BARISTA, "en")
    page.set_viewport_size({"width": 1280, "height": 800})
    look(page, live_server.url + "/pos/", "perks-till-empty")  # opens the till's order
    order = store.orders.filter(status="open").order_by("-pk").first()
    assert order is not None
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order_attach_member(order=order, member=member)
    look(page, live_server.url + "/pos/", "perks-till-1280")
    assert "Today: member day — double points" in page.get_by_test_id("till-perks").inner_text()


def test_manager_reads_the_ab_report(page: Any, live_server: Any) -> None:
    load_demo()
    template = CouponTemplate.objects.first()
    assert template is not None
    campaign = Campaign.objects.create(name="Spring test", kind=Campaign.Kind.WELCOME, coupon_template=template)
    a = CampaignVariant.objects.create(campaign=campaign, name="A: NT$30 off")
    b = CampaignVariant.objects.create(campaign=campaign, name="B: free drip", message="Spring is here")
    entered = timezone.now() - timedelta(days=20)
    for variant, came_back, total in [(None, 3, 20), (a, 14, 20), (b, 11, 20)]:
        for i in range(total):
            member = MemberFactory.create()
            group = "holdout" if variant is None else "treatment"
            CampaignEntry.objects.create(
                campaign=campaign, member=member, group=group, variant=variant, entered_at=entered
            )
            if i < came_back:
                Visit.objects.create(member=member, at=entered + timedelta(days=3), reference=f"ab:{member.pk}")
    signed_in(page, live_server.url, MANAGER, "en")
    page.set_viewport_size({"width": 1440, "height": 900})
    look(page, f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/", "ab-campaign-form")
    page.get_by_role("link", name="Variants and significance").click()
    look(page, page.url, "ab-report-1440")
    verdicts = page.get_by_test_id("verdict").all_inner_texts()
    assert "The difference between A: NT$30 off and B: free drip is not significant (p = 0.33)." in verdicts
    assert sum("; the difference is significant (p" in v for v in verdicts) == 2  # each variant against the holdout
    page.set_viewport_size({"width": 390, "height": 844})
    look(page, page.url, "ab-report-390")
