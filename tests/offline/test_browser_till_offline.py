"""The till through a network drop, in Chromium (issue #18 acceptance): the
member's phone (a second browser context) turns paying offline on, the
till's service worker installs, the network goes for both (Playwright's
set_offline), the banner says so within a second, a cash sale and a wallet
sale paid with the code the offline phone shows are rung up, the till is
reloaded with no network and keeps its queue, the network comes back and the
queue is sent once; a resend changes nothing, a refusal is listed until
settled, two tabs never send a sale twice. And the page's code verifier,
case by case."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from members.models import Member
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, ModifierOption, OfflineCertificate, OfflineSale, Order, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.selectors.shifts import z_report
from payments.selectors.wallet import wallet_balance
from payments.services.ahead import modifier_sold_out_set
from payments.services.offline.keys import b64url, b64url_decode
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up
from tests.browser.axe import axe_violations, describe
from tests.browser.walk import in_language
from tests.conftest import MemberFactory, browser_tab, ledger_and_points_problems
from tests.offline.browser import (
    SYNC,
    all_sent,
    member_signed_in,
    pay_worker_ready,
    shot,
    shown_code,
    till_sign_in,
    till_worker_ready,
    turn_on_offline_paying,
    waiting,
)
from tests.offline.conftest import Phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The member's phone beside the till's `page`: a browser context of its
    own (its own cookies, service worker and network), phone-sized."""
    yield from browser_tab(browser, request, name="-phone")


@pytest.fixture
def till(live_server: Any, barista_user: Any, shift_manager_user: Any) -> tuple[Store, Any]:
    load_menu_demo()
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    shift = shift_open(store=store, user=shift_manager_user, opening_float=50_000)
    return store, shift


def member_phone(phone_for: Callable[..., Phone]) -> Phone:
    """A phone simulated in Python (its codes made by formats.code_build), for
    the verifier's cases; the acceptance test above uses the real Pay page."""
    member: Member = MemberFactory.create(display_name="Lin", email="lin@example.com", balance=100_000)
    return phone_for(member)


def test_the_till_sells_through_a_network_drop_and_syncs_exactly_once(
    page: Any,
    phone: Any,
    live_server: Any,
    barista_user: Any,
    member_user: Any,
    till: tuple[Store, Any],
    programme_key: str,
) -> None:
    """The issue's acceptance, with the member's real phone: its Pay page in a
    second browser context turns paying offline on, then loses the network
    at the same time as the till and shows the code the barista types in."""
    store, shift = till
    base = live_server.url
    member: Member = member_user.member
    wallet_top_up(member=member, amount=100_000, tender="cash")
    # What goes wrong on the phone's pages, said by the browser (the last
    # session saw a failed request on the Pay page; here it is pinned down).
    problems: list[str] = []
    phone.on(
        "console", lambda m: problems.append(f"console: {m.text} {m.location['url']}") if m.type == "error" else None
    )
    phone.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    failed: list[str] = []  # requests with no answer at all (no network)
    phone.on("requestfailed", lambda r: failed.append(r.url))
    # The phone, with the network: paying offline on (NT$300, the default), confirmed with the password.
    member_signed_in(phone, base, member_user)
    phone.goto(base + "/pay/")
    turn_on_offline_paying(phone)
    assert phone.get_by_test_id("offline-left").inner_text() == "NT$300"
    pay_worker_ready(phone)
    certificate = OfflineCertificate.objects.get(member=member)
    assert wallet_balance(member=member) == 70_000
    # One refusal only, and an expected one: turning it on before confirming
    # who it is answers 403 reauthentication_required (the browser logs it).
    refused = f"{base}/pay/offline/enable/"
    assert problems == [
        f"403 {refused}",
        f"console: Failed to load resource: the server responded with a status of 403 (Forbidden) {refused}",
    ]
    problems.clear()

    page.set_viewport_size({"width": 1280, "height": 800})
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if SYNC in r.url else None)
    till_sign_in(page, base, barista_user.email)
    till_worker_ready(page)
    banner = page.get_by_test_id("offline-banner")
    assert not banner.is_visible()

    # The network goes, for the till and the member's phone alike.
    page.context.set_offline(True)
    phone.context.set_offline(True)
    banner.wait_for(timeout=1_000)  # within a second
    assert banner.inner_text() == "Offline — sales are kept on this till until the network is back"
    assert not page.locator("[data-online-till]").is_visible()
    greyed = page.get_by_test_id("offline-greyed")
    assert greyed.get_by_role("button", name="Points").is_disabled()
    assert "the member's points are on the server" in greyed.inner_text()

    # A cash sale: a latte at the price the till showed, NT$200 given.
    page.get_by_test_id("offline-product-latte").click()
    assert page.get_by_test_id("offline-total").inner_text() == "NT$135"
    page.locator("[data-offline-cash]").fill("200")
    page.get_by_test_id("offline-pay-cash").click()
    page.get_by_text("Change: NT$65").wait_for()
    assert banner.inner_text() == "Offline — 1 sale waiting"

    # An offline-code wallet sale: a latte and a flat white.
    page.get_by_test_id("offline-product-latte").click()
    page.get_by_test_id("offline-product-flat-white").click()
    assert page.get_by_test_id("offline-pay-wallet").is_disabled()  # not before a code
    # The member opens the Pay page with no network: it comes from the
    # phone's service worker and shows an offline code for what is set aside.
    phone.goto(base + "/pay/")
    phone.get_by_test_id("offline-code-panel").wait_for()
    assert phone.locator("#pay-code").is_hidden()
    # Calm: "it works offline", not the site's red "nothing was sent".
    assert phone.get_by_test_id("offline-calm").is_visible() and phone.locator("#offline-banner").is_hidden()
    code = shown_code(phone)
    assert phone.locator("#offline-cap").input_value() == "300"
    shot(phone, "phone-offline-code-390")
    # The barista types the text the phone shows (as a keyboard-wedge scanner would), then Enter.
    page.get_by_test_id("offline-scan").press_sequentially(code)
    page.get_by_test_id("offline-scan").press("Enter")
    page.get_by_test_id("offline-notice").get_by_text("Offline code checked").wait_for()
    shot(page, "till-offline-code-checked-1280")
    violations = axe_violations(page)  # the offline till, as accessible as the online one
    assert not violations, describe("/pos/ offline", violations)
    page.get_by_test_id("offline-pay-wallet").click()
    page.get_by_text("Sale kept on this till").wait_for()
    assert banner.inner_text() == "Offline — 2 sales waiting"
    assert Order.objects.filter(channel="offline").count() == 0  # nothing reached the server

    # Reloaded with no network: the worker serves the till, the queue is kept.
    page.reload()
    banner.wait_for()
    assert banner.inner_text() == "Offline — 2 sales waiting"
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "till-offline-reloaded-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    queued = waiting(page)
    assert [len(q["body"]["lines"]) for q in queued] == [1, 2]
    assert [q["body"]["tenders"][0]["kind"] for q in queued] == ["cash", "offline_wallet"]
    assert all(q["body"]["shift"] == shift.pk for q in queued)
    assert queued[0]["body"]["lines"][0]["unit_price"] == 13_500
    # The same code again on this till: its counter is spent here.
    page.get_by_test_id("offline-product-latte").click()
    page.get_by_test_id("offline-scan").fill(code)
    page.get_by_test_id("offline-scan").press("Enter")
    page.get_by_test_id("offline-error").get_by_text("already used on this till").wait_for()
    page.get_by_role("button", name="One less").click()  # the cart empty again

    # Back online: sent, in order, once.
    page.context.set_offline(False)
    all_sent(page)
    banner.wait_for(state="hidden")
    assert page.locator("[data-online-till]").is_visible()
    orders = list(Order.objects.filter(channel="offline").order_by("created_at"))
    assert [(o.status, o.total, o.member_id, o.shift_id) for o in orders] == [
        ("paid", 13_500, None, shift.pk),
        ("paid", 13_500 + 14_500, member.pk, shift.pk),
    ]
    assert [t.kind for o in orders for t in o.tenders.all()] == ["cash", "offline_wallet"]
    cert = OfflineCertificate.objects.get()
    assert cert == certificate and (cert.spent, cert.lost, cert.status) == (28_000, 0, "active")
    assert Account.objects.get(pk=cert.hold_account_id).balance == cert.allowance - 28_000
    assert wallet_balance(member=member) == 70_000  # paid from the hold, never the wallet
    assert z_report(shift=shift).orders == 2
    assert ledger_problems() == [] and ledger_and_points_problems() == []
    assert [s["idempotency_key"] for batch in sent for s in batch["sales"]] == [q["key"] for q in queued]

    # The same batch sent again (a till that lost the answer): nothing changes.
    answer = page.evaluate(
        """async (body) => {
          const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
          const r = await fetch("/api/v1/offline/sales", {method: "POST", body: JSON.stringify(body),
            headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
          return (await r.json()).results.map((x) => x.status);
        }""",
        sent[0],
    )
    assert answer == ["replayed", "replayed"]
    assert Order.objects.filter(channel="offline").count() == 2 and OfflineSale.objects.count() == 2
    # Exactly those two orders on the server; besides them only the online
    # till's cart, opened when the till page loaded, empty.
    sales = Order.objects.exclude(status=Order.Status.OPEN).order_by("pk").values_list("pk", flat=True)
    assert list(sales) == [o.pk for o in orders]
    assert not Order.objects.filter(status=Order.Status.OPEN, lines__isnull=False).exists()
    assert ledger_problems() == [] and ledger_and_points_problems() == []

    # Offline, the phone sends nothing: the page's polls are held back (an
    # earlier version sent each and failed, which raised the red banner) and
    # the offline-paying status is not asked for; no answer from the server failed.
    polls = ("/pay/code/", "/wallet/pending/", "/me/inbox/badge/", "/pay/offline/")
    assert [url for url in failed if any(p in url for p in polls)] == []
    assert [p for p in problems if not p.startswith("console: ")] == []
    problems.clear()

    # The phone back on the network: the Pay page shows what is left of the hold.
    phone.context.set_offline(False)
    phone.reload()
    phone.get_by_test_id("offline-left").filter(has_text="NT$20").wait_for()
    assert phone.get_by_test_id("offline-code-panel").is_hidden()
    assert problems == []


QUEUE_A_SALE = """async ([sku, price]) => {
  const key = crypto.randomUUID();
  const body = {idempotency_key: key, rung_up_at: new Date().toISOString(),
                lines: [{sku: sku, quantity: 1, unit_price: price, modifiers: []}],
                tenders: [{kind: "card", amount: price}]};
  const db = await new Promise((ok) => { const r = indexedDB.open("cafe-till", 1); r.onsuccess = () => ok(r.result); });
  await new Promise((ok) => { const tx = db.transaction("sales", "readwrite");
    tx.objectStore("sales").add({key: key, body: body, items: "1× " + sku, total: price}); tx.oncomplete = ok; });
  return key;
}"""


def test_refusals_are_listed_until_settled_and_two_tabs_send_each_sale_once(
    page: Any, live_server: Any, barista_user: Any, till: tuple[Store, Any]
) -> None:
    till_sign_in(page, live_server.url, barista_user.email)
    till_worker_ready(page)
    other = page.context.new_page()
    other.goto(live_server.url + "/pos/")
    sent: list[str] = []
    for tab in (page, other):
        tab.on(
            "request",
            lambda r: (
                sent.extend(s["idempotency_key"] for s in json.loads(r.post_data)["sales"]) if SYNC in r.url else None
            ),
        )
    # Queued as an offline till would have: a good sale, one the server
    # refuses (a product it does not know), then a good one.
    keys = [
        page.evaluate(QUEUE_A_SALE, sale) for sale in (["latte", 12_000], ["retired-blend", 9_000], ["mocha", 14_000])
    ]
    # Both tabs asked to send at the same instant: one sends, the other waits its turn and finds nothing.
    page.evaluate("() => { window.cafeTill.sync(); }")
    other.evaluate("() => window.cafeTill.sync()")
    all_sent(page)
    page.reload()
    refusal = page.get_by_test_id("refusal")
    refusal.wait_for()
    assert sorted(sent) == sorted(keys)  # each sale sent once, from one tab
    assert Order.objects.filter(channel="offline").count() == 2
    assert "No product has the SKU retired-blend." in refusal.inner_text()
    assert "1× retired-blend" in refusal.inner_text() and "NT$90" in refusal.inner_text()
    shot(page, "till-offline-refusal-390")
    violations = axe_violations(page)
    assert not violations, describe("/pos/ with a refusal", violations)
    refusal.get_by_test_id("refusal-settled").click()
    page.get_by_test_id("refusals").wait_for(state="hidden")
    assert page.evaluate("async () => (await window.cafeTill.refusals()).length") == 0


VERIFY = """async ([text, options]) => {
  const keys = (await (await fetch("/pos/offline/keys/")).json()).keys;
  const result = await window.CafeOfflineCode.check(text, Object.assign({keys: keys}, options));
  return result.ok ? "ok" : result.reason;
}"""


def test_the_tills_code_verifier_refuses_forgeries_and_what_the_till_has_seen(
    page: Any, live_server: Any, barista_user: Any, till: tuple[Store, Any], phone_for: Callable[..., Phone]
) -> None:
    phone = member_phone(phone_for)
    in_language(page, live_server.url, "zh-hant")  # the words the script shows come translated from the page
    till_sign_in(page, live_server.url, barista_user.email)
    code = phone.code(amount_cap=20_000)
    raw = b64url_decode(code[4:])

    def flipped(at: int) -> str:
        changed = bytearray(raw)
        changed[at] ^= 1
        return "OF1." + b64url(bytes(changed))

    now = int(timezone.now().timestamp())
    expires = int(phone.issued.certificate.expires_at.timestamp())
    cases = {
        "ok": (code, {"amount": 13_500}),
        "not-ours": (flipped(120), {"amount": 13_500}),  # the programme's signature on the certificate
        "not-device": (flipped(200), {"amount": 13_500}),  # the phone's signature on the code
        "not-ours ": (flipped(95), {"amount": 13_500}),  # the certificate's expiry changed after signing
        "not-device ": (flipped(170), {"amount": 13_500}),  # the amount cap changed after signing
        "damaged": (code[:-2], {"amount": 13_500}),
        "not-offline-code": ("A1B2C3D4", {"amount": 13_500}),
        "expired": (code, {"amount": 13_500, "now": expires + 301}),
        "future": (code, {"amount": 13_500, "now": now - 301}),
        "too-much": (code, {"amount": 20_001}),  # above the code's cap
        "seen": (code, {"amount": 13_500, "seen": True}),
        "left": (code, {"amount": 13_500, "spentOnTill": 20_000}),  # NT$300 allowance, NT$200 taken here
        "no-keys": (code, {"amount": 13_500, "keys": []}),
    }
    for expected, (text, options) in cases.items():
        assert page.evaluate(VERIFY, [text, options]) == expected.strip(), expected
    # Within the clock skew either side, still good.
    assert page.evaluate(VERIFY, [code, {"amount": 13_500, "now": expires + 299}]) == "ok"
    assert OfflineCertificate.objects.get().expires_at > timezone.now() + timedelta(days=1)

    till_worker_ready(page)
    page.context.set_offline(True)
    banner = page.get_by_test_id("offline-banner")
    banner.wait_for(timeout=1_000)
    with translation.override("zh-hant"):
        assert banner.inner_text() == gettext("Offline — sales are kept on this till until the network is back")
        page.get_by_test_id("offline-product-latte").click()
        page.get_by_test_id("offline-scan").fill(flipped(200))
        page.get_by_test_id("offline-scan").press("Enter")
        page.get_by_test_id("offline-error").get_by_text(
            gettext("This offline code was not made by the member's phone.")
        ).wait_for()
    assert "離線" in banner.inner_text()  # the catalogue is there: not English passed through
    shot(page, "till-offline-refused-code-zh-hant-390")


def test_offline_the_barista_picks_options_and_splits_a_sale_between_an_offline_code_and_cash(
    page: Any,
    live_server: Any,
    barista_user: Any,
    till: tuple[Store, Any],
    phone_for: Callable[..., Phone],
) -> None:
    """A Large oat latte and a flat white offline, as the online till would
    ring them up: option buttons with the default chosen, each option's price
    added; then a code that may pay NT$200 of NT$310 pays its part and cash the
    rest, in one sale the server records at the same prices. Soy milk, sold
    out at the store when the menu was kept, is shown so and cannot be chosen."""
    store, shift = till
    phone = member_phone(phone_for)
    soy = ModifierOption.objects.get(group="Milk", name="Soy milk")
    modifier_sold_out_set(option=soy, store=store, sold_out=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    till_sign_in(page, live_server.url, barista_user.email)
    till_worker_ready(page)
    page.context.set_offline(True)
    page.get_by_test_id("offline-banner").wait_for(timeout=1_000)

    page.get_by_test_id("offline-product-latte").click()
    latte = page.get_by_test_id("offline-line").nth(0)
    size = latte.get_by_test_id("offline-mod-size")
    assert size.get_by_role("button", name="Medium").get_attribute("aria-pressed") == "true"  # the default
    assert size.get_by_role("button", name="Large").inner_text() == "Large +NT$30"
    size.get_by_role("button", name="Large").click()
    milk = latte.get_by_test_id("offline-mod-milk")
    assert milk.get_by_role("button", name="Soy milk").inner_text() == "Soy milk Sold out"
    assert milk.get_by_role("button", name="Soy milk").is_disabled()
    milk.get_by_role("button", name="Soy milk").dispatch_event("click")  # even if a click got through
    assert milk.get_by_role("button", name="Soy milk").get_attribute("aria-pressed") == "false"
    milk.get_by_role("button", name="Oat milk").click()
    extra = latte.get_by_test_id("offline-mod-extras").get_by_role("button", name="Extra shot")
    extra.click()
    assert page.get_by_test_id("offline-total").inner_text() == "NT$185"  # 120 + 30 + 15 + 20
    assert extra.get_attribute("aria-pressed") == "true"
    extra.click()  # an extra comes off when tapped again; a size never does
    size.get_by_role("button", name="Large").click()
    assert size.get_by_role("button", name="Large").get_attribute("aria-pressed") == "true"
    assert page.get_by_test_id("offline-total").inner_text() == "NT$165"
    page.get_by_test_id("offline-product-flat-white").click()  # a line of its own, as online
    assert page.get_by_test_id("offline-line").nth(1).locator(".amount").inner_text() == "NT$145"
    assert page.get_by_test_id("offline-total").inner_text() == "NT$310"

    # The code may pay NT$200: the wallet's part, and the rest by cash or card.
    page.get_by_test_id("offline-scan").fill(phone.code(amount_cap=20_000))
    page.get_by_test_id("offline-scan").press("Enter")
    notice = page.get_by_test_id("offline-notice")
    notice.get_by_text("the wallet pays NT$200, NT$110 left to pay by cash or card").wait_for()
    assert page.get_by_test_id("offline-pay-wallet").is_hidden()  # it cannot pay the whole
    assert page.get_by_test_id("offline-pay-wallet-card").inner_text() == "Wallet NT$200 + NT$110 by card"
    page.get_by_test_id("offline-pay-wallet-cash").scroll_into_view_if_needed()  # the cart scrolls on its own
    shot(page, "till-offline-split-1280")
    violations = axe_violations(page)
    assert not violations, describe("/pos/ offline, options and a split", violations)
    page.locator("[data-offline-cash]").fill("200")
    page.get_by_test_id("offline-pay-wallet-cash").click()
    notice.get_by_text("Change: NT$90").wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("offline-waiting").locator("summary").click()  # the list of sales waiting, opened
    waiting_sale = page.get_by_test_id("offline-waiting-sale")
    assert "1× Latte (Large, Oat milk), 1× Flat white (Medium) · NT$310" in waiting_sale.inner_text()
    shot(page, "till-offline-waiting-390")
    [queued] = waiting(page)
    lines, tenders = queued["body"]["lines"], queued["body"]["tenders"]
    assert [line["unit_price"] for line in lines] == [16_500, 14_500]
    assert [(t["kind"], t["amount"], t.get("cash_received")) for t in tenders] == [
        ("offline_wallet", 20_000, None),
        ("cash", 11_000, 20_000),
    ]

    page.context.set_offline(False)
    all_sent(page)
    order = Order.objects.get(channel="offline")
    assert (order.total, order.member_id, order.shift_id) == (31_000, phone.member.pk, shift.pk)
    for row in order.lines.select_related("product").prefetch_related("modifiers"):
        chosen = list(row.modifiers.all())
        # The server's own price for the options sent: what the till showed.
        assert row.unit_price == row.product.price + sum(m.price for m in chosen)
    assert sorted(order.lines.values_list("modifiers_label", flat=True)) == ["Large, Oat milk", "Medium"]
    assert [(t.kind, t.amount, t.change_given) for t in order.tenders.order_by("pk")] == [
        ("offline_wallet", 20_000, 0),
        ("cash", 11_000, 9_000),
    ]
    assert OfflineCertificate.objects.get().spent == 20_000
    assert ledger_problems() == [] and ledger_and_points_problems() == []
