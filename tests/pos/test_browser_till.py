"""A barista at the till, with their hands: MFA login, two drinks with
modifiers, scan the member's code, a coupon, pay by wallet (double-clicked),
refund, and a Z report that adds up."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.coupons import coupon_issue
from campaigns.models import CouponTemplate
from members.services import member_create
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, Order, Payment, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.selectors.shifts import z_report
from payments.services.codes import payment_code_issue
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page: Any) -> None:
    """Wait until htmx has swapped and wired up the new cart (a person is never faster)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')"
    )
    page.wait_for_timeout(150)


def test_barista_rings_up_scans_applies_coupon_pays_once_and_refunds(
    page: Any, live_server: Any, barista_user: Any, shift_manager_user: Any
) -> None:
    load_menu_demo()
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    shift = shift_open(store=store, user=shift_manager_user, opening_float=100_000)
    member = member_create(user=None, display_name="Mei", email="mei@example.com")
    wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
    coupon = coupon_issue(
        member=member,
        template=CouponTemplate.objects.create(name="NT$30 off", kind="amount_off", amount_off=3_000),
        source="test",
    )
    code = payment_code_issue(member=member).code

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill(barista_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.locator("#id_code").fill(totp_code())
    page.locator("#id_code").press("Enter")
    page.wait_for_url(live_server.url + "/pos/")

    # Two drinks with modifiers: an oat latte (M, default) and a large flat white.
    page.get_by_test_id("product-latte").click()
    page.get_by_test_id("cart-line").first.wait_for()
    settle(page)
    page.get_by_test_id("mod-milk").first.select_option(label="Oat milk +NT$15")
    page.wait_for_function("() => document.querySelector('[data-testid=till-total]').innerText.includes('150')")
    settle(page)
    page.get_by_test_id("product-flat-white").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=cart-line]').length === 2")
    settle(page)
    page.get_by_test_id("mod-size").nth(1).select_option(label="Large +NT$30")
    # latte 120 + M 15 + oat 15 = 150; flat white 130 + L 30 + whole milk 0 = 160
    page.wait_for_function("() => document.querySelector('[data-testid=till-total]').innerText.includes('310')")
    settle(page)

    scan = page.get_by_test_id("scan")
    scan.fill(code)
    scan.press("Enter")
    page.get_by_test_id("till-member").wait_for()
    settle(page)
    page.get_by_test_id("scan").fill(coupon.code)
    page.get_by_test_id("scan").press("Enter")
    page.wait_for_function("() => document.querySelector('[data-testid=till-total]').innerText.includes('280')")
    settle(page)
    assert "Earns" in page.get_by_test_id("points-preview").inner_text()
    settle(page)

    page.get_by_test_id("pay-wallet").dblclick()
    page.get_by_test_id("paid").wait_for()

    order = Order.objects.get(status="paid")
    assert order.total == 28_000
    assert Payment.objects.count() == 1  # the double click charged once
    assert Account.objects.get(member=member).balance == 100_000 - 28_000
    member.refresh_from_db()
    assert member.points_balance == order.points_earned == 28  # 1 point per NT$10
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None

    page.goto(live_server.url + f"/pos/orders/{order.pk}/refund/")
    page.get_by_test_id("confirm-refund").click()
    page.wait_for_url(f"**/pos/orders/{order.pk}/receipt/")
    assert Account.objects.get(member=member).balance == 100_000
    member.refresh_from_db()
    assert member.points_balance == 0
    assert ledger_problems() == []

    report = z_report(shift=shift)
    assert report.orders == 1
    assert report.gross_sales - report.discounts == report.tenders_total == 28_000
    assert report.refunds == 28_000 and report.net_sales == 0
    page.goto(live_server.url + "/pos/shift/")
    assert "NT$280" in page.get_by_test_id("z-report").inner_text()
