"""What the offline browser tests share (issue 18): the till's sign-in and
its offline queue, and the member's phone turning paying offline on through
the Pay page and showing a code. Used by tests/offline/test_browser_till_offline.py
(the till, with the phone in a second browser context) and
tests/browser/test_offline_phone.py (the phone alone)."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client

from tests.browser.walk import SHOTS, type_authenticator_code
from tests.conftest import PASSWORD

SYNC = "/api/v1/offline/sales"


# --- The till ------------------------------------------------------------------------


def till_sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/pos/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_test_id("staff-login-submit").click()
    type_authenticator_code(page)
    page.wait_for_url(base + "/pos/")


def shot(page: Any, name: str) -> None:
    """WALK_SHOTS=/some/dir keeps a picture, to judge the layout by eye."""
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def till_worker_ready(page: Any) -> None:
    """The worker installed, in charge of the page, and the till page, menu
    and keys kept (it answers the page's "warm" once they are)."""
    page.wait_for_function("() => document.getElementById('till-offline').dataset.workerReady")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def waiting(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("() => window.cafeTill.waiting()"))


def all_sent(page: Any, seconds: float = 10) -> None:
    """Until the till's queue is empty (asked of IndexedDB, which answers
    asynchronously: polled from here, not with wait_for_function)."""
    deadline = time.monotonic() + seconds
    while waiting(page):
        assert time.monotonic() < deadline, "the till did not send its queue"
        page.wait_for_timeout(100)


# --- The member's phone --------------------------------------------------------------


def member_signed_in(page: Any, base: str, user: Any) -> None:
    """The member's session as a cookie: signed in earlier, so turning paying
    offline on asks who it is again (allauth's reauthentication)."""
    device = Client()
    device.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": device.cookies["sessionid"].value, "url": base}])


def turn_on_offline_paying(page: Any, allowance: str = "") -> None:
    """On the Pay page: "Turn on paying offline" (for `allowance`, in major
    units, or the amount offered), allauth's reauthentication with the
    password, then back on the Pay page, which carries on and shows it on."""
    page.locator("#offline-enable-form").wait_for()
    if allowance:
        page.locator("#offline-allowance").fill(allowance)
    shown = page.locator("#offline-allowance").input_value()
    page.get_by_test_id("offline-enable").click()
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/pay/")
    page.get_by_test_id("offline-allowance").filter(has_text=shown).wait_for()


def pay_worker_ready(page: Any) -> None:
    """The Pay page's service worker controls the page, and has kept it (the
    reload goes through the worker, which stores the page it fetched)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()
    page.get_by_test_id("offline-left").wait_for()


def shown_code(page: Any, after: str = "") -> str:
    """The offline code's text as the page shows it (a new one once `after` is replaced)."""
    page.wait_for_function(
        "(before) => { const t = document.getElementById('offline-code-text');"
        " return t && t.value && t.value !== before; }",
        arg=after,
    )
    return str(page.locator("#offline-code-text").input_value())
