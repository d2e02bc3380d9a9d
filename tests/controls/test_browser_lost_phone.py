"""A member who lost their phone taps "Lost phone?" on another device: the
wallet freezes, the phone is signed out, and unfreezing asks for the password."""

from __future__ import annotations

from typing import Any

import pytest

from members.services import member_get_or_create_for_user
from payments.models import Account, Store
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_test_id("member-card").wait_for()


def test_lost_phone_from_another_device_and_unfreezing_after_the_password(
    page: Any, browser: Any, live_server: Any, django_user_model: Any
) -> None:
    user = make_user(django_user_model, "lost@example.com")
    member = member_get_or_create_for_user(user=user)
    wallet_top_up(member=member, amount=50_000, tender="cash", store=Store.objects.create(name="Da'an", slug="daan"))
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    phone = phone_context.new_page()
    log_in(phone, live_server.url, user.email)
    phone.goto(live_server.url + "/pay/")
    phone.get_by_test_id("payment-code").wait_for()

    log_in(page, live_server.url, user.email)  # the member's other device
    page.goto(live_server.url + "/pay/")
    page.get_by_test_id("lost-phone").click()
    page.get_by_test_id("confirm-lost-phone").click()
    told = page.get_by_role("status").first.inner_text()
    assert "Your wallet is frozen" in told and "1 other device was signed out" in told
    assert Account.objects.get(member=member).is_frozen

    phone.goto(live_server.url + "/pay/")
    assert "/accounts/login/" in phone.url  # the lost phone is signed out
    phone_context.close()

    page.get_by_test_id("unfreeze").click()
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your wallet is active again.").wait_for()
    assert not Account.objects.get(member=member).is_frozen
