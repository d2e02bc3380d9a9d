"""Money controls: a lost phone. Freezing the wallet retires its payment codes
and signs out every other device; whoever holds the phone cannot undo the
freeze or raise a limit without signing in again through allauth."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from rest_framework.test import APIClient

from members.models import Member
from members.selectors import points_problems
from payments.exceptions import ReauthenticationNeeded
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, Order, PaymentCode, Product, ProgrammeSettings, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.services.codes import payment_code_issue
from payments.services.risk import wallet_freeze, wallet_set_limits, wallet_unfreeze
from payments.services.terminals import terminal_create
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD, add_totp, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def terminal_api(db: Any) -> APIClient:
    store = Store.objects.create(name="Da'an", slug="daan")
    _terminal, key = terminal_create(store=store, name="Kiosk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def funded(member: Member) -> Member:
    wallet_top_up(member=member, amount=50_000, tender="cash")
    return member


def signed_in(user: Any) -> Client:
    """A device the member is signed in on."""
    device = Client()
    device.force_login(user)
    return device


def pay_by_api(api: APIClient, code: str, amount: int) -> Any:
    return api.post(
        "/api/v1/payments",
        {"payment_code": code, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )


def wallet_of(member: Member) -> Account:
    return Account.objects.get(member=member, kind=Account.Kind.WALLET)


def books_balance() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


def test_lost_phone_freezes_retires_codes_and_signs_out_the_other_devices(
    member_user: Any, funded: Member, terminal_api: APIClient
) -> None:
    phone, laptop = signed_in(member_user), signed_in(member_user)
    shown = [payment_code_issue(member=funded).code for _ in range(2)]  # the lost phone shows a code
    assert UserSession.objects.filter(user=member_user).count() == 2

    confirm = laptop.get("/wallet/lost-phone/")  # one confirmation step first
    assert confirm.status_code == 200
    assert b"confirm-lost-phone" in confirm.content and not wallet_of(funded).is_frozen
    done = laptop.post("/wallet/lost-phone/", follow=True)

    page = done.content.decode()
    assert "Your wallet is frozen" in page
    assert "2 payment codes shown on phones no longer work" in page
    assert "1 other device was signed out" in page
    assert "tap Unfreeze on this page" in page  # and how to undo it
    assert wallet_of(funded).is_frozen
    assert not PaymentCode.objects.filter(member=funded, retired_at__isnull=True).exists()
    # The phone is signed out; the device the member used stays signed in.
    assert phone.get("/wallet/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/wallet/limits/").status_code == 200
    assert list(UserSession.objects.filter(user=member_user).values_list("session_key", flat=True)) == [
        laptop.session.session_key
    ]
    # The code still on the phone's screen is refused as expired, and no money moves.
    refused = pay_by_api(terminal_api, shown[0], 1_000)
    assert (refused.status_code, refused.json()["code"]) == (410, "payment_code_expired")
    assert wallet_of(funded).balance == 50_000
    books_balance()


def test_the_freeze_button_signs_out_other_devices_too(member_user: Any, funded: Member) -> None:
    phone, laptop = signed_in(member_user), signed_in(member_user)
    laptop.post("/wallet/freeze/", {"reason": "left it on the bus"})
    assert wallet_of(funded).is_frozen and wallet_of(funded).frozen_reason == "left it on the bus"
    assert phone.get("/wallet/limits/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/wallet/limits/").status_code == 200


def test_a_phone_still_signed_in_cannot_unfreeze_without_signing_in_again(member_user: Any, funded: Member) -> None:
    thief = signed_in(member_user)
    wallet_freeze(member=funded, reason="lost phone", by_staff=False, keep_session_key=thief.session.session_key)

    asked = thief.post("/wallet/unfreeze/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert wallet_of(funded).is_frozen
    wrong = thief.post(asked["Location"], {"password": "guessed-wrong-1"})
    assert wrong.status_code == 200 and b"password" in wrong.content.lower()
    assert wallet_of(funded).is_frozen
    # The member, who knows the password, can.
    thief.post(asked["Location"], {"password": PASSWORD})
    assert not wallet_of(funded).is_frozen
    books_balance()


def test_unfreezing_a_member_with_an_authenticator_goes_through_allauths_second_factor(
    member_user: Any, funded: Member
) -> None:
    add_totp(member_user)
    device = signed_in(member_user)
    wallet_freeze(member=funded, reason="lost phone", by_staff=False, keep_session_key=device.session.session_key)
    asked = device.post("/wallet/unfreeze/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    offered = device.get(asked["Location"]).content.decode()
    assert "/accounts/2fa/reauthenticate/" in offered  # the authenticator is offered
    device.post("/accounts/2fa/reauthenticate/?next=/wallet/unfreeze/", {"code": "000000"})
    assert wallet_of(funded).is_frozen  # a wrong code does nothing
    device.post("/accounts/2fa/reauthenticate/?next=/wallet/unfreeze/", {"code": totp_code()})
    assert not wallet_of(funded).is_frozen


def test_raising_a_limit_asks_who_it_is_but_lowering_never_does(member_user: Any, funded: Member) -> None:
    device = signed_in(member_user)
    lowered = device.post("/wallet/limits/", {"daily_limit": "300", "no_confirmation_limit": "100"})
    assert lowered.status_code == 302 and lowered["Location"] == "/wallet/limits/"
    assert (wallet_of(funded).daily_limit, wallet_of(funded).no_confirmation_limit) == (30_000, 10_000)

    for raised in ({"daily_limit": "1000", "no_confirmation_limit": "100"}, {"daily_limit": "300"}):
        asked = device.post("/wallet/limits/", raised)  # a higher limit, or empty (the programme's)
        assert asked["Location"].startswith("/accounts/reauthenticate/")
        assert (wallet_of(funded).daily_limit, wallet_of(funded).no_confirmation_limit) == (30_000, 10_000)

    asked = device.post("/wallet/limits/", {"daily_limit": "1000", "no_confirmation_limit": "100"})
    device.post(asked["Location"], {"password": PASSWORD})  # the saved form goes through afterwards
    assert (wallet_of(funded).daily_limit, wallet_of(funded).no_confirmation_limit) == (100_000, 10_000)
    books_balance()


def test_the_services_refuse_to_undo_protection_without_reauthentication(funded: Member) -> None:
    wallet_set_limits(member=funded, daily_limit=10_000, no_confirmation_limit=5_000)
    cap = ProgrammeSettings.current().daily_limit_cap
    with pytest.raises(ReauthenticationNeeded, match="confirm it is you"):
        wallet_set_limits(member=funded, daily_limit=cap, no_confirmation_limit=5_000)
    with pytest.raises(ReauthenticationNeeded, match="confirm it is you"):
        wallet_set_limits(member=funded, daily_limit=10_000, no_confirmation_limit=None)
    assert (wallet_of(funded).daily_limit, wallet_of(funded).no_confirmation_limit) == (10_000, 5_000)
    wallet_freeze(member=funded, reason="lost phone", by_staff=False)
    with pytest.raises(ReauthenticationNeeded, match="confirm it is you"):
        wallet_unfreeze(member=funded, by_staff=False)
    assert wallet_of(funded).is_frozen
    wallet_unfreeze(member=funded, by_staff=True)  # the cafe can (and a member after reauthenticating)
    assert not wallet_of(funded).is_frozen


def test_a_freeze_by_staff_signs_the_member_out_everywhere(member_user: Any, funded: Member) -> None:
    phone, laptop = signed_in(member_user), signed_in(member_user)
    done = wallet_freeze(member=funded, reason="risk review", by_staff=True)
    assert done.sessions_ended == 2
    for device in (phone, laptop):
        assert device.get("/wallet/")["Location"].startswith("/accounts/login/")


def test_the_lost_phone_button_is_on_the_pay_and_limits_pages(member_user: Any, funded: Member) -> None:
    device = signed_in(member_user)
    for page in ("/pay/", "/wallet/limits/"):
        assert b'href="/wallet/lost-phone/"' in device.get(page).content


def test_the_till_refuses_a_code_from_before_the_freeze_as_expired(
    member_user: Any, funded: Member, barista_user: Any
) -> None:
    load_menu_demo()
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    on_the_phone = payment_code_issue(member=funded).code
    signed_in(member_user).post("/wallet/lost-phone/")
    till = signed_in(barista_user)
    till.get("/pos/")
    order = Order.objects.get(pk=till.session["pos_order_id"])
    till.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku='latte').pk}/", HTTP_HX_REQUEST="true")
    scanned = till.post(f"/pos/orders/{order.pk}/scan/", {"code": on_the_phone}, HTTP_HX_REQUEST="true")
    assert "The code expired" in scanned.content.decode()
    paid = till.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": "w1"}, HTTP_HX_REQUEST="true")
    assert "payment code to pay with the wallet" in paid.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and wallet_of(funded).balance == 50_000
    books_balance()
