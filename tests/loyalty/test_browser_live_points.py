"""A member sees a payment and the points it earned appear live on their phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from members.services import member_get_or_create_for_user
from payments.models import Store
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD, make_user
from tests.helpers import pay_from_wallet, points_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_test_id("member-card").wait_for()


def test_points_from_a_payment_appear_in_inbox_and_points_page_without_reload(
    page: Any, live_server: Any, django_user_model: Any
) -> None:
    user = make_user(django_user_model, "live@example.com")
    member = member_get_or_create_for_user(user=user)
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    log_in(page, live_server.url, user.email)

    points_tab = page.context.new_page()
    points_tab.goto(live_server.url + "/me/points/")
    assert points_tab.get_by_test_id("points-balance").inner_text() == "0"
    inbox_tab = page.context.new_page()
    inbox_tab.goto(live_server.url + "/me/inbox/")

    page.goto(live_server.url + "/pay/")
    code = page.get_by_test_id("payment-code").get_attribute("data-code")
    assert code and re.fullmatch(r"\d{18}", code)

    # The barista scans the code at the till.
    payment = pay_from_wallet(code=code, amount=15_000, store=store)
    points = points_for(15_000)
    assert payment.tender.order.points_earned == points

    page.get_by_test_id("recent-payment").wait_for(timeout=10_000)
    shown = " ".join(page.get_by_test_id("recent-payment").inner_text().split())
    assert shown == f"Paid NT$150 · Da'an Roastery · +{points} points · Balance NT$350"
    points_tab.wait_for_function(
        f"() => document.querySelector('[data-testid=points-balance]').innerText.trim() === '{points}'", timeout=10_000
    )
    # One purchase, one notice: the receipt, with the points in it.
    inbox_tab.get_by_text("Receipt NT$150 at Da'an Roastery").wait_for(timeout=10_000)
    assert f"+{points} points" not in inbox_tab.get_by_test_id("inbox-list").inner_text()
