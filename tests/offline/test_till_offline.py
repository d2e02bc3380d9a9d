"""The till's offline support on the server: the service worker and its
version, the manifest and icons, the menu JSON for the offline cart, and an
offline code scanned at a till that is online (paid at once from the hold)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from members.models import Member
from payments.models import (
    Account,
    Category,
    OfflineCertificate,
    OfflineCodeUse,
    Order,
    Product,
    RiskAlert,
    Store,
    Tender,
)
from payments.services.offline.keys import b64url, b64url_decode
from payments.services.pauses import wallet_payments_pause, wallet_payments_resume
from payments.views import till_offline
from tests.conftest import MemberFactory
from tests.offline.conftest import Phone, sale
from tests.pos.test_till import add, order_of


def test_the_worker_is_served_under_the_till_with_its_files_and_version(client: Client) -> None:
    response = client.get("/pos/sw.js")  # no sign-in: the browser fetches it on its own
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript") and response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    version = till_offline.till_worker_version()
    assert f'const VERSION = "{version}";' in body
    for name in till_offline.TILL_STATIC:
        assert f'"/static/{name}"' in body
        assert (Path(settings.BASE_DIR) / "static" / name).exists(), name
    assert '"/pos/offline/menu/"' in body and '"/pos/offline/keys/"' in body


def test_a_deploy_that_changes_a_static_url_changes_the_worker_version(monkeypatch: pytest.MonkeyPatch) -> None:
    till_offline.till_worker_version.cache_clear()
    before = till_offline.till_worker_version()
    # The manifest storage names each file by its content's hash: a new pos.css is a new URL.
    monkeypatch.setattr(till_offline, "static", lambda name: f"/static/{name}.deadbeef")
    till_offline.till_worker_version.cache_clear()
    after = till_offline.till_worker_version()
    monkeypatch.undo()
    till_offline.till_worker_version.cache_clear()
    assert before != after and till_offline.till_worker_version() == before


def test_the_till_page_registers_the_versioned_worker_and_carries_the_offline_till(
    pos_till: tuple[Client, Store],
) -> None:
    client, _store = pos_till
    page = client.get("/pos/").content.decode()
    assert f'data-worker="/pos/sw.js?v={till_offline.till_worker_version()}"' in page
    assert 'href="/pos/manifest.webmanifest"' in page and 'id="till-offline"' in page
    assert "data-online-till" in page and "Offline — 1 sale waiting" in page


def test_the_manifest_makes_the_till_installable(client: Client) -> None:
    response = client.get("/pos/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/pos/", "/pos/", "standalone")
    sizes = {}
    for icon in manifest["icons"]:
        if icon["type"] == "image/png":
            data = (Path(settings.BASE_DIR) / "static" / icon["src"].removeprefix("/static/")).read_bytes()
            with Image.open(BytesIO(data)) as image:
                sizes[icon["sizes"]] = image.size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_the_offline_menu_has_the_prices_the_till_shows_in_few_queries(
    pos_till: tuple[Client, Store], django_assert_max_num_queries: Any
) -> None:
    client, _store = pos_till
    coffee = Category.objects.get(slug="coffee")
    for i in range(40):  # the bound holds whatever the menu's size
        Product.objects.create(category=coffee, name=f"Blend {i}", sku=f"blend-{i}", price=10_000)
    # Session, user, groups, MFA, permissions (2), staff role, then the menu's
    # categories, products, options, and the store's open shift.
    with django_assert_max_num_queries(11):
        response = client.get("/pos/offline/menu/")
    menu = response.json()
    products = {p["sku"]: p for c in menu["categories"] for p in c["products"]}
    latte = products["latte"]
    assert (latte["price"], latte["price_label"]) == (13_500, "NT$135")  # NT$120 and a Medium, its default size
    assert len(latte["modifiers"]) >= 1 and menu["shift"] is None and menu["csrf"]
    assert response["Cache-Control"] == "no-store"


def test_the_offline_menu_carries_each_products_options_as_the_online_till_shows_them(
    pos_till: tuple[Client, Store],
) -> None:
    """The offline cart offers the same option buttons: the groups in the
    online till's order (size first), each option with its price and whether
    it is the default, and the product's price before options, so a line's
    price is worked out as the online till works it out."""
    client, _store = pos_till
    products = {p["sku"]: p for c in client.get("/pos/offline/menu/").json()["categories"] for p in c["products"]}
    latte, croissant = products["latte"], products["croissant"]
    assert [g["key"] for g in latte["groups"]] == ["size", "milk", "extras"]
    size = {o["name"]: o for o in latte["groups"][0]["options"]}
    assert list(size) == ["Small", "Medium", "Large"]  # in their positions, not by name
    assert (size["Large"]["price"], size["Large"]["price_label"], size["Large"]["default"]) == (3_000, "NT$30", False)
    assert size["Small"]["price_label"] == ""  # nothing to add: the button shows no "+"
    defaults = [o["id"] for g in latte["groups"] for o in g["options"] if o["default"]]
    assert sorted(defaults) == sorted(latte["modifiers"])
    assert latte["base_price"] + sum(size[n]["price"] for n in ["Medium"]) == latte["price"]
    assert croissant["groups"] == [] and croissant["base_price"] == croissant["price"] == 8_000


def test_the_offline_menu_is_for_staff(client: Client) -> None:
    assert client.get("/pos/offline/menu/").status_code == 302


# --- An offline code at an online till ---------------------------------------------------


@pytest.fixture
def online_till(pos_till: tuple[Client, Store], programme_key: str) -> tuple[Client, Store]:
    return pos_till


def scan(client: Client, order: Order, text: str) -> str:
    return client.post(f"/pos/orders/{order.pk}/scan/", {"code": text}, HTTP_HX_REQUEST="true").content.decode()


def member_with_phone(phone_for: Callable[..., Phone], balance: int = 100_000) -> Phone:
    member: Member = MemberFactory.create(display_name="Lin", email="lin@example.com", balance=balance)
    return phone_for(member)


def test_an_online_till_takes_an_offline_code_at_once_from_the_hold(
    online_till: tuple[Client, Store], phone_for: Callable[..., Phone]
) -> None:
    client, store = online_till
    phone = member_with_phone(phone_for)
    order = order_of(client)
    add(client, order, "latte")
    text = phone.code()
    page = scan(client, order, text)
    assert "Paid with the member" in page
    order.refresh_from_db()
    assert (order.status, order.member, order.total) == ("paid", phone.member, 13_500)
    assert [(t.kind, t.amount) for t in order.tenders.all()] == [("offline_wallet", 13_500)]
    cert = OfflineCertificate.objects.get()
    assert (cert.spent, cert.lost) == (13_500, 0)
    assert Account.objects.get(pk=cert.hold_account_id).balance == cert.allowance - 13_500
    assert order.points_earned > 0
    # The same scan again (a double read by the scanner): nothing more is taken.
    scan(client, order, text)
    assert Tender.objects.count() == 1 and OfflineCodeUse.objects.count() == 1


def test_an_online_till_refuses_a_used_counter_a_forgery_and_more_than_the_hold(
    online_till: tuple[Client, Store], phone_for: Callable[..., Phone]
) -> None:
    client, store = online_till
    phone = member_with_phone(phone_for)
    first = order_of(client)
    add(client, first, "latte")
    used = phone.code()
    scan(client, first, used)
    client.post("/pos/new/")
    order = order_of(client)
    add(client, order, "latte")
    assert "already used" in scan(client, order, used)  # the same code on the next order
    again = phone.code(counter=phone.counter)  # a new code text with a counter already paid
    assert "already used" in scan(client, order, again)
    raw = bytearray(b64url_decode(phone.code()[4:]))
    raw[-1] ^= 1  # the device signature
    assert "not made by the member" in scan(client, order, "OF1." + b64url(bytes(raw)))
    for _ in range(20):
        add(client, order, "latte")  # NT$2,520: above the NT$300 allowance
    assert "cannot pay that much" in scan(client, order, phone.code())
    order.refresh_from_db()
    assert order.status == "open" and not order.tenders.exists()
    assert not RiskAlert.objects.exists()  # an online refusal loses nothing


def test_an_online_till_refuses_what_the_hold_no_longer_covers_without_a_loss(
    online_till: tuple[Client, Store], phone_for: Callable[..., Phone], api: Any
) -> None:
    client, store = online_till
    phone = member_with_phone(phone_for)
    # NT$240 already spent from the NT$300 hold by a synced offline sale.
    two = [{"sku": "latte", "quantity": 2, "unit_price": 12_000}]
    api.post(
        "/api/v1/offline/sales",
        {"sales": [sale(lines=two, tenders=[{"kind": "offline_wallet", "amount": 24_000, "code": phone.code()}])]},
        format="json",
    )
    order = order_of(client)
    add(client, order, "latte")
    assert "does not cover" in scan(client, order, phone.code())
    cert = OfflineCertificate.objects.get()
    assert (cert.spent, cert.lost, cert.status) == (24_000, 0, "active")
    assert not Order.objects.filter(pk=order.pk, status="paid").exists() and not RiskAlert.objects.exists()


def test_an_online_till_refuses_a_turned_off_phone_and_paused_wallets(
    online_till: tuple[Client, Store], phone_for: Callable[..., Phone], manager_user: Any
) -> None:
    client, store = online_till
    phone = member_with_phone(phone_for)
    order = order_of(client)
    add(client, order, "latte")
    pause = wallet_payments_pause(store=store, reason="drill", by=manager_user)
    assert "paused" in scan(client, order, phone.code())
    wallet_payments_resume(pause=pause, reason="over", by=manager_user)
    OfflineCertificate.objects.update(status="revoked", ended_at=timezone.now() - timedelta(minutes=1))
    assert "turned off" in scan(client, order, phone.code())
    assert not Tender.objects.exists()
