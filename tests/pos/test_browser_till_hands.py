"""The till with a barista's hands (issue #15): modifier buttons keep the
keyboard focus, a short wallet and the rest by card in one tap, and in
Chinese the shift banner stays in the page and no button breaks its label
one character per line, at a till's 1280×800 and at a phone's width."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, ModifierOption, Order, Store, StoreStaff
from payments.services.ahead import modifier_sold_out_set
from payments.services.codes import payment_code_issue
from payments.services.top_ups import wallet_top_up
from tests.browser.axe import axe_violations, describe
from tests.conftest import MemberFactory
from tests.offline.browser import shot
from tests.pos.test_browser_till import till_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at_the_till(page: Any, live_server: Any, barista_user: Any, *, language: str = "en") -> Store:
    """The demo menu, a store, and the barista's session in the browser (signing
    in itself is tested in test_browser_till)."""
    load_menu_demo()
    store = Store.objects.create(name="Da'an Roastery", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    device = Client()
    device.force_login(barista_user)
    cookies = [{"name": "sessionid", "value": device.cookies["sessionid"].value, "url": live_server.url}]
    cookies.append({"name": "django_language", "value": language, "url": live_server.url})
    page.context.add_cookies(cookies)
    page.goto(live_server.url + "/pos/")
    return store


def focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def test_modifier_buttons_keep_the_keyboard_focus_and_a_tap_returns_it_to_the_scan_field(
    page: Any, live_server: Any, barista_user: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    store = at_the_till(page, live_server, barista_user)
    soy = ModifierOption.objects.get(group="Milk", name="Soy milk")
    modifier_sold_out_set(option=soy, store=store, sold_out=True)
    till_answers(page, "/add/", page.get_by_test_id("product-latte").click)
    line = Order.objects.get().lines.get()
    # Sold out at this store: marked and disabled, so neither a tap nor Tab reaches it.
    sold_out = page.get_by_test_id("mod-milk").get_by_role("button", name="Soy milk")
    assert sold_out.inner_text() == "Soy milk Sold out" and sold_out.is_disabled()
    shot(page, "till-sold-out-option-1280")
    large = ModifierOption.objects.get(group="Size", name="Large")
    oat = ModifierOption.objects.get(group="Milk", name="Oat milk")
    sizes = page.get_by_test_id("mod-size")
    sizes.get_by_role("button", name="Large").focus()
    till_answers(page, "/modifiers/", lambda: page.keyboard.press("Enter"))
    assert focused_id(page) == f"mod-{line.pk}-{large.pk}"  # still on Large, in the new cart
    assert sizes.get_by_role("button", name="Large").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Tab")  # on to the milk group: Whole milk, then Oat milk
    page.keyboard.press("Tab")
    till_answers(page, "/modifiers/", lambda: page.keyboard.press("Space"))
    assert focused_id(page) == f"mod-{line.pk}-{oat.pk}"
    assert page.get_by_test_id("till-total").inner_text() == "NT$165"  # 120 + Large 30 + oat 15
    # A tap (touch or mouse) sends the focus back to the scan field for the scanner.
    till_answers(page, "/modifiers/", sizes.get_by_role("button", name="Small").click)
    assert focused_id(page) == "scan"
    assert page.get_by_test_id("till-total").inner_text() == "NT$135"
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "till-sold-out-option-390")
    violations = axe_violations(page)
    assert not violations, describe("/pos/ with a sold-out option", violations)


def test_a_short_wallet_and_the_rest_by_card_are_one_tap(page: Any, live_server: Any, barista_user: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    store = at_the_till(page, live_server, barista_user)
    member = MemberFactory.create(display_name="Mei", email="mei@example.com")
    wallet_top_up(member=member, amount=30_000, tender="cash", store=store)  # under the confirmation limit
    till_answers(page, "/add/", page.get_by_test_id("product-latte").click)
    page.locator("[id^=more-]").first.focus()
    for _ in range(2):  # three lattes: 3 × 135 = 405
        till_answers(page, "/quantity/", lambda: page.keyboard.press("Enter"))
    page.get_by_test_id("scan").fill(payment_code_issue(member=member).code)
    till_answers(page, "/scan/", lambda: page.get_by_test_id("scan").press("Enter"))
    assert page.get_by_test_id("till-wallet-balance").inner_text() == "NT$300"
    split = page.get_by_test_id("pay-wallet-card")
    assert split.inner_text() == "Wallet NT$300 + NT$105 by card"
    split.dblclick()
    page.get_by_test_id("paid").wait_for()
    order = Order.objects.get(status="paid")
    assert [(t.kind, t.amount) for t in order.tenders.order_by("pk")] == [("wallet", 30_000), ("card", 10_500)]
    assert Account.objects.get(member=member).balance == 0


# Each text node's line boxes inside a visible button: more than one means its
# label broke (in Chinese, between two characters). Menu tiles and buttons
# whose label carries amounts (.pos-split, .pos-points) may wrap between words.
WRAPPED_BUTTONS = """() => {
  const wrapped = [];
  for (const button of document.querySelectorAll('button, .btn')) {
    if (!button.offsetParent || button.closest('.pos-product, .pos-split, .pos-points')) continue;
    const walker = document.createTreeWalker(button, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = [...range.getClientRects()].filter(r => r.width > 0).length;
      if (lines > 1) wrapped.push(button.textContent.trim());
    }
  }
  return wrapped;
}"""


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["till", "phone"])
def test_in_chinese_the_shift_banner_is_in_the_page_and_no_button_label_breaks(
    page: Any, live_server: Any, barista_user: Any, size: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    at_the_till(page, live_server, barista_user, language="zh-hant")
    till_answers(page, "/add/", page.get_by_test_id("product-latte").click)
    banner = page.get_by_test_id("no-shift")
    assert banner.inner_text().startswith("尚未開班")
    assert banner.evaluate("el => getComputedStyle(el).position") == "static"
    box = banner.bounding_box()
    for tile in page.locator(".pos-product").all():
        other = tile.bounding_box()
        assert other["y"] >= box["y"] + box["height"], "a tile sits under the banner"
    page.evaluate("() => { const b = document.getElementById('camera-scan'); if (b) b.hidden = false; }")
    assert page.get_by_role("button", name="相機").is_visible()
    assert page.get_by_test_id("pay-cash").inner_text().startswith("現金")
    assert page.evaluate(WRAPPED_BUTTONS) == []
