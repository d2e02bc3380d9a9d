"""What a member does with their hands on the portal: a quick top-up amount,
a payment approved against the clock, privacy ticks big enough to hit."""

from __future__ import annotations

from typing import Any

import pytest

from members.services import member_get_or_create_for_user
from payments.models import Account, Payment, ProgrammeSettings
from tests.conftest import PASSWORD, make_user
from tests.portal.test_confirm_page import waiting_till_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_test_id("member-card").wait_for()


@pytest.fixture
def member_user(django_user_model: Any) -> Any:
    user = make_user(django_user_model, "hands@example.com")
    user.first_name = "Hands"
    user.save()
    member_get_or_create_for_user(user=user)
    return user


def test_a_quick_amount_fills_the_box_with_1000_and_tops_up(page: Any, live_server: Any, member_user: Any) -> None:
    log_in(page, live_server.url, member_user.email)
    page.goto(live_server.url + "/wallet/top-up/")
    page.get_by_role("button", name="NT$1,000").click()
    assert page.locator("#id_amount").input_value() == "1,000"
    page.get_by_role("button", name="Top up", exact=True).click()
    page.get_by_test_id("wallet-balance").wait_for()
    assert Account.objects.get(member__user=member_user).balance == 100_000


def test_the_approval_countdown_runs_out_and_the_buttons_stop(
    page: Any, live_server: Any, member_user: Any, django_user_model: Any
) -> None:
    programme = ProgrammeSettings.objects.get(pk=ProgrammeSettings.current().pk)
    programme.confirmation_timeout_seconds = 6
    programme.save()
    # Signed in first, so the window is spent on the page, not on the sign-in
    # (which takes seconds on a loaded machine).
    log_in(page, live_server.url, member_user.email)
    payment = waiting_till_sale(member_user.member, django_user_model)
    page.goto(live_server.url + f"/wallet/confirm/{payment.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Approve this payment?"
    clock = page.locator(".countdown-clock")
    minutes, seconds = clock.inner_text().split(":")
    assert minutes == "0" and 1 <= int(seconds) <= 6
    approve = page.get_by_test_id("approve")
    box = approve.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 300
    page.get_by_text("Time is up: ask the barista to try again.").wait_for(timeout=12_000)
    assert approve.is_disabled() and page.get_by_test_id("decline").is_disabled()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REQUIRES_CONFIRMATION  # nothing was sent for the member


def test_privacy_ticks_are_44px_targets_and_save(page: Any, live_server: Any, member_user: Any) -> None:
    log_in(page, live_server.url, member_user.email)
    page.goto(live_server.url + "/me/consent/")
    targets = page.locator(".tap-target")
    assert targets.count() == 4
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
    page.get_by_role("checkbox", name="Offers and news — Email").check()
    page.get_by_role("button", name="Save choices").click()
    page.get_by_text("Your choices are saved.").wait_for()
    assert page.get_by_role("checkbox", name="Offers and news — Email").is_checked()
