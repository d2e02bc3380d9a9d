"""Paying offline from the phone (issue 18, the phone's side): the member turns
it on from the Pay page (confirming who they are), the phone loses the
network, the Pay page still opens (its service worker) and shows an offline
code that the server's own checks accept and the sync pays; turning it off
returns the hold."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from members.models import Member
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, OfflineCertificate, Order, Store
from payments.selectors.ledger import ledger_problems
from payments.selectors.wallet import wallet_balance
from payments.services.offline.formats import offline_code_check
from payments.services.offline.holds import offline_enable
from payments.services.risk import wallet_freeze
from payments.services.top_ups import wallet_top_up
from tests.browser.walk import Walk
from tests.offline.browser import member_signed_in, pay_worker_ready, shown_code, turn_on_offline_paying
from tests.offline.conftest import sale, spki_of, terminal_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The Pay page's htmx polls: the one-minute code, payments waiting, the inbox badge.
POLLS = ("/pay/code/", "/wallet/pending/", "/me/inbox/badge/")


def qr_path(text: str, version: int, mask: int, level: int) -> str:
    """The SVG path the page should draw for `text`, from the Python qrcode
    library with the same version, level and mask: the QR on screen must be
    exactly the text beside it."""
    levels = [
        qrcode.constants.ERROR_CORRECT_L,
        qrcode.constants.ERROR_CORRECT_M,
        qrcode.constants.ERROR_CORRECT_Q,
        qrcode.constants.ERROR_CORRECT_H,
    ]
    qr = qrcode.QRCode(version=version, error_correction=levels[level], mask_pattern=mask, border=0)
    qr.add_data(qrcode.util.QRData(text.encode(), mode=qrcode.util.MODE_8BIT_BYTE))
    qr.make(fit=False)
    return "".join(
        f"M{x + 2},{y + 2}h1v1h-1z" for y, row in enumerate(qr.modules) for x, dark in enumerate(row) if dark
    )


def test_a_member_pays_offline_from_the_phone(
    page: Any, live_server: Any, member_user: Any, programme_key: str
) -> None:
    member: Member = member_user.member
    wallet_top_up(member=member, amount=50_000, tender="cash")
    load_menu_demo()
    store = Store.objects.create(name="Basement Bar", slug="basement")
    base = live_server.url
    member_signed_in(page, base, member_user)
    walk = Walk(page, "member-offline", "en")

    page.goto(base + "/pay/")
    page.locator("#offline-enable-form").wait_for()
    assert page.locator("#offline-allowance").input_value() == "300"  # NT$300, the default
    walk.step("pay page, offline paying off")
    # allauth's reauthentication, then back to the Pay page, which carries on.
    turn_on_offline_paying(page, "200")
    assert page.get_by_test_id("offline-allowance").inner_text() == "NT$200"
    assert page.get_by_test_id("offline-left").inner_text() == "NT$200"
    walk.step("offline paying on")
    certificate = OfflineCertificate.objects.get(member=member, status=OfflineCertificate.Status.ACTIVE)
    assert certificate.allowance == 20_000 and certificate.hold_account.balance == 20_000
    assert wallet_balance(member=member) == 30_000

    # The service worker controls the page and has kept it; then no network.
    pay_worker_ready(page)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if any(p in r.url for p in POLLS) else None)
    # The page open when the network goes switches to an offline code at once,
    # calmly: the code's own notice, not the site's red "nothing was sent".
    page.context.set_offline(True)
    page.get_by_test_id("offline-code-panel").wait_for()
    calm = page.get_by_test_id("offline-calm")
    assert calm.inner_text() == "No signal — show this code; it works offline."
    assert page.locator("#offline-banner").is_hidden()
    assert offline_code_check(text=shown_code(page), amount=12_000, at=timezone.now()).counter == 1
    # Opened again with no network, it comes from the service worker.
    polls.clear()
    page.reload()
    page.get_by_test_id("offline-code-panel").wait_for()
    first = shown_code(page)
    assert page.locator("#pay-code").is_hidden()
    page.wait_for_timeout(3_500)  # longer than the quickest poll (payments waiting, every 3 s)
    assert polls == [] and page.locator("#offline-banner").is_hidden() and calm.is_visible()
    walk.step("offline code")
    page.set_viewport_size({"width": 1280, "height": 800})
    walk.step("offline code, wide screen")
    page.set_viewport_size({"width": 390, "height": 844})

    # The server's own check reads what the phone made: the format matches.
    code = offline_code_check(text=first, amount=12_000, at=timezone.now())
    assert (code.counter, code.amount_cap) == (2, 20_000)
    assert code.certificate.cert_id == certificate.pk and code.certificate.card_number == member.card_number
    assert abs((code.made_at - timezone.now()).total_seconds()) < 60
    svg = page.locator("[data-testid=offline-qr] svg")
    version, mask, level = (int(str(svg.get_attribute(name))) for name in ("data-version", "data-mask", "data-ecc"))
    assert svg.locator("path").get_attribute("d") == qr_path(first, version, mask, level)

    # A new code, for less, has the next counter.
    page.locator("#offline-cap").fill("150")
    page.get_by_test_id("offline-new-code").click()
    second = shown_code(page, after=first)
    again = offline_code_check(text=second, amount=12_000, at=timezone.now())
    assert (again.counter, again.amount_cap) == (3, 15_000)

    # The till syncs a sale paid with the first code: paid from the hold.
    till = terminal_client(store)
    tender = {"kind": "offline_wallet", "amount": 12_000, "code": first}
    answer = till.post(
        "/api/v1/offline/sales", {"sales": [sale(tenders=[tender], key=uuid.uuid4().hex)]}, format="json"
    )
    [result] = answer.json()["results"]
    assert result["status"] == "created", result
    assert Order.objects.get(pk=result["order"]).member == member
    assert Account.objects.get(pk=certificate.hold_account_id).balance == 8_000
    assert wallet_balance(member=member) == 30_000

    # Back online: the polls again, a fresh one-minute code at once; what is
    # left shows, and turning it off returns it.
    with page.expect_request(lambda r: "/pay/code/" in r.url):
        page.context.set_offline(False)
    page.get_by_test_id("payment-code").wait_for()
    assert page.get_by_test_id("offline-code-panel").is_hidden() and calm.is_hidden()
    page.reload()
    page.get_by_test_id("offline-left").filter(has_text="80").wait_for()
    assert page.get_by_test_id("offline-code-panel").is_hidden()
    page.get_by_test_id("offline-disable").click()
    page.get_by_test_id("offline-message").filter(has_text="NT$80").wait_for()
    page.locator("#offline-enable-form").wait_for()
    walk.step("offline paying turned off")
    certificate.refresh_from_db()
    assert certificate.status == OfflineCertificate.Status.REVOKED
    assert Account.objects.get(pk=certificate.hold_account_id).balance == 0
    assert wallet_balance(member=member) == 38_000
    assert ledger_problems() == []
    # The phone forgot its key and certificate: offline, it says so.
    page.context.set_offline(True)
    page.reload()
    page.get_by_test_id("offline-code-panel").get_by_text("not turned on").wait_for()
    walk.clean()


def test_a_member_turns_off_paying_offline_for_a_lost_phone_from_another_device(
    page: Any, live_server: Any, member_user: Any, programme_key: str
) -> None:
    member: Member = member_user.member
    wallet_top_up(member=member, amount=50_000, tender="cash")
    lost_phone = ec.generate_private_key(ec.SECP256R1())
    issued = offline_enable(member=member, device_public_key=spki_of(lost_phone), allowance=None, reauthenticated=True)
    member_signed_in(page, live_server.url, member_user)
    walk = Walk(page, "member-offline", "en")

    page.goto(live_server.url + "/pay/")
    page.get_by_text("Paying offline is on for another phone").wait_for()
    assert page.get_by_test_id("offline-allowance").is_hidden()  # this device has no certificate of its own
    walk.step("offline paying on for another phone")
    page.get_by_test_id("offline-disable").click()
    page.get_by_test_id("offline-message").filter(has_text="NT$300").wait_for()
    issued.certificate.refresh_from_db()
    assert issued.certificate.status == OfflineCertificate.Status.REVOKED
    assert wallet_balance(member=member) == 50_000
    walk.clean()


def test_a_frozen_wallet_is_told_it_cannot_pay_offline(
    page: Any, live_server: Any, member_user: Any, programme_key: str
) -> None:
    member: Member = member_user.member
    wallet_top_up(member=member, amount=50_000, tender="cash")
    wallet_freeze(member=member, reason="lost phone", by_staff=False)
    member_signed_in(page, live_server.url, member_user)
    walk = Walk(page, "member-offline", "en")
    page.goto(live_server.url + "/pay/")
    page.get_by_test_id("offline-frozen").wait_for()
    assert page.locator("#offline-enable-form").is_hidden()  # not offered: it would be refused
    walk.step("frozen wallet, paying offline not offered")
    walk.clean()
