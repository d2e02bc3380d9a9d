"""Recommendations by hand (issue 17, item 7): a member sees "For you" on
the portal home and the order-ahead menu and adds their usual in one tap; a
barista scans the member's card and adds the usual, options and all, in one
tap; a manager reads the report. axe after every step. WALK_SHOTS=/dir
keeps screenshots (phone width for the member, desktop for till and admin)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members.models import Member
from members.services import consent_record
from payments.models import ModifierOption, Product, Recommendation
from tests.ahead.conftest import open_store
from tests.browser.test_axe_pages import MANAGER
from tests.browser.test_walk_barista import DEMO_PASSWORD, staff_signs_in
from tests.browser.walk import Walk, load_demo, type_authenticator_code
from tests.pos.test_browser_till import till_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER = "member@demo.cafe"


def recommend(member: Member) -> None:
    """What last night's job left: a large oat latte as the usual, and two items to try."""
    consent_record(member=member, channel="email", purpose="personalised", granted=True)
    options = [ModifierOption.objects.get(name_en=name).pk for name in ("Large", "Oat milk")]
    latte = Product.objects.get(sku="latte")
    Recommendation.objects.create(member=member, product=latte, kind="usual", score=9, modifier_ids=options)
    for rank, sku in enumerate(("banana-bread", "earl-grey-latte")):
        Recommendation.objects.create(member=member, product=Product.objects.get(sku=sku), kind="like", rank=rank)


def test_member_barista_and_manager_use_recommendations(page: Any, live_server: Any) -> None:
    load_demo()
    member = Member.objects.get(user__email=MEMBER)
    recommend(member)
    store = open_store(slug="ahead")
    walk = Walk(page, "recommendations", "en")

    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill(MEMBER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    for_you = page.get_by_test_id("for-you")
    for_you.wait_for()
    assert "Latte" in for_you.get_by_test_id("usual").inner_text()
    assert for_you.get_by_test_id("like").all_inner_texts() == ["Banana bread", "Earl Grey latte"]
    walk.step("portal home")

    page.goto(live_server.url + reverse("wallet:ahead_menu", args=[store.slug]))
    page.get_by_test_id("add-usual").click()
    page.wait_for_url(f"**/order/{store.slug}/")
    assert "1 item" in page.get_by_test_id("cart-link").inner_text()
    walk.step("order-ahead menu after one tap on the usual")
    page.goto(live_server.url + reverse("wallet:ahead_cart", args=[store.slug]))
    cart = page.locator("main").inner_text()
    assert "Latte" in cart and "Oat milk" in cart and "Large" in cart
    walk.step("cart with the usual")
    page.context.clear_cookies()

    page.set_viewport_size({"width": 1280, "height": 900})
    staff_signs_in(walk, live_server.url, "barista@demo.cafe")
    till_answers(
        page, "/scan/", lambda: (page.get_by_test_id("scan").fill(member.card_number), page.keyboard.press("Enter"))
    )
    page.get_by_test_id("till-for-you").wait_for()
    walk.step("till: the member's usual beside their name")
    till_answers(page, "/add-usual/", page.get_by_test_id("till-add-usual").click)
    assert page.get_by_test_id("cart-line").count() == 1
    line = page.get_by_test_id("cart-line").first
    assert "Latte" in line.inner_text()
    assert line.get_by_role("button", name="Oat milk").get_attribute("aria-pressed") == "true"
    walk.step("till: the usual added with its options")
    page.context.clear_cookies()

    page.goto(live_server.url + "/admin/")
    page.locator("#id_login").fill(MANAGER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    type_authenticator_code(page)
    page.wait_for_url(live_server.url + "/admin/")
    report = reverse("admin:payments_recommendationrun_report")
    page.locator(f".reports-panel a[href='{report}']").click()
    page.get_by_test_id("recommendation-results").wait_for()
    walk.step("admin: recommendations report")
    walk.clean()
    assert get_user_model().objects.filter(email=MANAGER).exists()
