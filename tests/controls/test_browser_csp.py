"""Money controls: the Content Security Policy holds on the pages people use
with their hands — the till, the member portal and the admin — with no
violation reported, so a script injected into any of them would not run."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import CouponTemplate, Reward
from members.points import points_adjust
from members.selectors import points_problems
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.services.shifts import shift_open
from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded in every page before its own scripts run (Playwright injects this
# outside the page's policy).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + where);
});
"""


class Watcher:
    """CSP violations a page reported, by event and on the console, and each
    HTML response that came without the header."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.unprotected: list[str] = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def _response(self, response: Any) -> None:
        if "text/html" in response.headers.get("content-type", ""):
            policy = response.headers.get("content-security-policy", "")
            if "script-src 'self'" not in policy or "frame-ancestors 'none'" not in policy:
                self.unprotected.append(response.url)

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.assert_clean()

    def assert_clean(self) -> None:
        reported = self.page.evaluate("window.__csp || []")
        assert reported == [], reported
        assert self.console == [], self.console
        assert self.unprotected == [], self.unprotected


def sign_in(page: Any, base: str, email: str, *, totp: bool, start: str = "/accounts/login/") -> None:
    page.goto(base + start)
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    if totp:
        page.locator("#id_code").fill(totp_code())
        page.locator("#id_code").press("Enter")


def test_the_till_runs_under_the_policy(
    page: Any, live_server: Any, barista_user: Any, shift_manager_user: Any
) -> None:
    load_menu_demo()
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    shift = shift_open(store=store, user=shift_manager_user, opening_float=100_000)
    watch = Watcher(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, barista_user.email, totp=True)
    page.wait_for_url(live_server.url + "/pos/")
    watch.assert_clean()

    # htmx swaps the cart in, and the till's keyboard script adds a drink ("1").
    page.get_by_test_id("product-latte").click()
    page.get_by_test_id("cart-line").first.wait_for()
    page.get_by_test_id("pay-cash").click()
    page.get_by_test_id("paid").wait_for()
    order = Order.objects.get(status="paid")
    watch.visit(live_server.url + f"/pos/orders/{order.pk}/receipt/")
    watch.visit(live_server.url + f"/pos/shift/{shift.pk}/z/")
    for path in ("/pos/top-up/", "/pos/orders/", "/pos/shift/", "/pos/cash-out/"):
        watch.visit(live_server.url + path)
    assert ledger_problems() == [] and points_problems() == []


def test_the_member_portal_runs_under_the_policy(page: Any, live_server: Any, member_user: Any) -> None:
    template = CouponTemplate.objects.create(name="Free cookie", kind="amount_off", amount_off=5_000)
    Reward.objects.create(name="Free cookie", points_cost=50, template=template)
    points_adjust(member=member_user.member, points=80, reason="welcome gift")
    watch = Watcher(page)
    watch.visit(live_server.url + "/")
    sign_in(page, live_server.url, member_user.email, totp=False)
    page.wait_for_url(live_server.url + "/")
    watch.assert_clean()

    # The pay code comes in by htmx and is drawn as inline SVG.
    watch.visit(live_server.url + "/pay/")
    page.locator("#pay-code svg").wait_for()
    watch.assert_clean()

    # A quick amount fills the field: behaviour that used to be an inline onclick.
    watch.visit(live_server.url + "/wallet/top-up/")
    page.locator("button.pill").first.click()
    assert page.locator("#id_amount").input_value() != ""

    # Asking before spending points: the confirm dialog comes from app.js; saying no sends nothing.
    watch.visit(live_server.url + "/offers/")
    asked: list[str] = []

    def say_no(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.locator("form.reward button").first.click()
    assert asked == ["Use 50 points?"]
    assert page.url == live_server.url + "/offers/"

    for path in ("/wallet/", "/wallet/limits/", "/me/", "/me/points/", "/me/inbox/", "/me/privacy/", "/more/"):
        watch.visit(live_server.url + path)

    # The language menu submits itself on change (it was an inline onchange).
    with page.expect_navigation():
        page.locator("#lang-select").select_option("zh-hant")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    watch.assert_clean()


def test_the_admin_runs_under_the_policy(page: Any, live_server: Any, manager_user: Any) -> None:
    watch = Watcher(page)
    watch.visit(live_server.url + "/admin/login/")
    sign_in(page, live_server.url, manager_user.email, totp=True, start="/admin/login/")
    page.wait_for_url(live_server.url + "/admin/")
    watch.assert_clean()
    for path in (
        "/admin/payments/product/",
        "/admin/payments/product/add/",
        "/admin/payments/product/import-csv/",
        "/admin/members/member/",
    ):
        watch.visit(live_server.url + path)


def test_an_injected_inline_script_does_not_run(page: Any, live_server: Any) -> None:
    """The policy is enforced, not only sent: a script slipped into a page is blocked and reported."""
    watch = Watcher(page)
    watch.visit(live_server.url + "/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.__ran === true") is False
    assert any("script-src" in entry for entry in page.evaluate("window.__csp"))
