"""A barista at the till, with their hands: MFA login, two drinks with
modifiers, scan the member's code, a coupon, pay by wallet (double-clicked),
refund, and a Z report that adds up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from campaigns.coupons import coupon_issue
from campaigns.models import CouponTemplate
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, Order, Payment, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.selectors.shifts import z_report
from payments.services.codes import payment_code_issue
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up
from tests.browser.walk import type_authenticator_code
from tests.conftest import PASSWORD, MemberFactory
from tests.helpers import points_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def till_answers(page: Any, path: str, action: Callable[[], Any]) -> None:
    """Do `action`, wait for the till's answer to the htmx POST it sends to
    `path`, then until htmx has swapped that answer in and settled (the new
    cart is wired up; a person is never faster)."""
    with page.expect_response(lambda response: path in response.url and response.request.method == "POST"):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')"
    )


def test_barista_rings_up_scans_applies_coupon_pays_once_and_refunds(
    page: Any, live_server: Any, barista_user: Any, shift_manager_user: Any
) -> None:
    load_menu_demo()
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    shift = shift_open(store=store, user=shift_manager_user, opening_float=100_000)
    member = MemberFactory.create(display_name="Mei", email="mei@example.com")
    wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
    coupon = coupon_issue(
        member=member,
        template=CouponTemplate.objects.create(name="NT$30 off", kind="amount_off", amount_off=3_000),
        source="test",
    )
    code = payment_code_issue(member=member).code

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/pos/")  # to the staff sign-in page
    page.locator("#id_login").fill(barista_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    type_authenticator_code(page)  # the code field has the focus
    page.wait_for_url(live_server.url + "/pos/")

    # Two drinks with modifiers: an oat latte (M, default) and a large flat white.
    total = page.get_by_test_id("till-total")
    till_answers(page, "/add/", page.get_by_test_id("product-latte").click)
    assert page.get_by_test_id("cart-line").count() == 1
    till_answers(
        page, "/modifiers/", page.get_by_test_id("mod-milk").first.get_by_role("button", name="Oat milk").click
    )
    assert total.inner_text() == "NT$150"
    till_answers(page, "/add/", page.get_by_test_id("product-flat-white").click)
    assert page.get_by_test_id("cart-line").count() == 2
    till_answers(page, "/modifiers/", page.get_by_test_id("mod-size").nth(1).get_by_role("button", name="Large").click)
    # latte 120 + M 15 + oat 15 = 150; flat white 130 + L 30 + whole milk 0 = 160
    assert total.inner_text() == "NT$310"

    page.get_by_test_id("scan").fill(code)
    till_answers(page, "/scan/", lambda: page.get_by_test_id("scan").press("Enter"))
    assert page.get_by_test_id("till-member").is_visible()
    page.get_by_test_id("scan").fill(coupon.code)
    till_answers(page, "/scan/", lambda: page.get_by_test_id("scan").press("Enter"))
    assert total.inner_text() == "NT$280"
    due = 28_000
    assert page.get_by_test_id("points-preview").inner_text() == f"Earns {points_for(due)} points"

    page.get_by_test_id("pay-wallet").dblclick()
    page.get_by_test_id("paid").wait_for()

    order = Order.objects.get(status="paid")
    assert order.total == due
    assert Payment.objects.count() == 1  # the double click charged once
    assert Account.objects.get(member=member).balance == 100_000 - due
    member.refresh_from_db()
    assert member.points_balance == order.points_earned == points_for(due)
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None

    page.goto(live_server.url + f"/pos/orders/{order.pk}/refund/")
    page.get_by_test_id("review-whole").click()
    assert page.get_by_test_id("refund-total").inner_text() == "NT$280"
    page.get_by_test_id("confirm-refund").click()
    page.wait_for_url(live_server.url + "/pos/")  # back at the till
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
