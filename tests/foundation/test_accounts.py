"""Accounts, roles and access: signup with an emailed code, the member card,
who may reach the till and the admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from members.cards import generate_card_number, is_valid_card_number, luhn_check_digit
from members.models import Member
from tests.conftest import PASSWORD, MemberFactory, make_staff, totp_code
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db


def test_card_numbers_carry_a_luhn_check_digit() -> None:
    number = generate_card_number()
    assert len(number) == 12 and number.isdigit()
    assert is_valid_card_number(number)
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_card_number(wrong)


def signup(client: Client, email: str = "new@example.com") -> Any:
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "name": "New Member"},
    )


def test_signup_verifies_email_by_code_and_shows_the_member_card(client: Client) -> None:
    response = signup(client)
    assert response.status_code == 302
    assert mail.outbox, "a verification email is sent"
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", str(mail.outbox[-1].body))
    assert code is not None, mail.outbox[-1].body
    # Until verified, the portal does not open.
    assert client.get("/").status_code in (200, 302)
    verified = client.post("/accounts/confirm-email/", {"code": code.group(1)})
    assert verified.status_code == 302
    member = Member.objects.get(email="new@example.com")
    assert member.display_name == "New Member"
    home = client.get("/")
    assert member.card_number_display.encode() in home.content


def test_wrong_verification_code_is_a_form_error(client: Client) -> None:
    signup(client)
    response = client.post("/accounts/confirm-email/", {"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 200
    assert b"errorlist" in response.content or b"Incorrect" in response.content


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "not-an-email", "password1": "x", "password2": "y", "name": ""},
        {"email": "a@example.com", "password1": "short", "password2": "short", "name": "A"},
        {"email": "a@example.com", "password1": PASSWORD, "password2": PASSWORD + "x", "name": "A"},
        {"email": "a@example.com", "password1": PASSWORD, "password2": PASSWORD, "name": "x" * 500},
    ],
)
def test_bad_signup_input_gets_form_messages(client: Client, data: dict[str, str]) -> None:
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": "", "phone": "", "preferred_language": "en"},
        {"display_name": "Mei", "phone": "call me maybe", "preferred_language": "en"},
        {"display_name": "Mei", "phone": "", "preferred_language": "klingon"},
        {"display_name": "Mei", "phone": "", "preferred_language": "en", "birthday": "2023-02-30"},
    ],
)
def test_bad_profile_input_gets_form_messages(member_client: Client, data: dict[str, str]) -> None:
    response = member_client.post("/me/", data)
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_profile_saves_and_birthday_changes_once_a_year(member_client: Client, member: Member) -> None:
    ok = member_client.post(
        "/me/",
        {"display_name": "Mei L", "phone": "0912 345 678", "preferred_language": "zh-hant", "birthday": "1990-05-01"},
    )
    assert ok.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, str(member.birthday), member.preferred_language) == ("Mei L", "1990-05-01", "zh-hant")
    again = member_client.post(
        "/me/", {"display_name": "Mei L", "phone": "", "preferred_language": "en", "birthday": "1990-06-01"}
    )
    assert again.status_code == 200
    member.refresh_from_db()
    assert str(member.birthday) == "1990-05-01"


def test_consent_is_recorded_per_channel_and_purpose(member_client: Client, member: Member) -> None:
    member_client.post("/me/consent/", {"email__marketing": "on"})
    member_client.post("/me/consent/", {})
    rows = list(member.consents.order_by("recorded_at", "pk").values_list("channel", "purpose", "granted"))
    assert rows == [("email", "marketing", True), ("email", "marketing", False)]


def test_anonymous_is_sent_to_login_from_pos_and_admin(client: Client) -> None:
    pos = client.get("/pos/")
    assert pos.status_code == 302 and pos["Location"] == "/pos/login/?next=/pos/"  # the staff sign-in page
    admin = client.get("/admin/", follow=True)
    assert admin.redirect_chain[-1][0].startswith("/accounts/login/")


def test_member_gets_403_at_the_till_and_the_admin(member_client: Client) -> None:
    assert member_client.get("/pos/").status_code == 403
    assert member_client.get("/admin/login/?next=/admin/").status_code == 403


def test_staff_without_mfa_are_sent_to_set_it_up(client: Client, django_user_model: Any) -> None:
    barista = make_staff(django_user_model, "nomfa@example.com", "Barista", mfa=False)
    client.force_login(barista)
    response = client.get("/pos/")
    assert response.status_code == 302
    assert "/accounts/2fa/totp/activate" in response["Location"]


def test_barista_with_mfa_signs_in_with_a_code_and_reaches_the_till(client: Client, barista_user: Any) -> None:
    first = client.post("/accounts/login/", {"login": barista_user.email, "password": PASSWORD})
    assert first.status_code == 302 and "/accounts/2fa/authenticate" in first["Location"]
    second = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert second.status_code == 302
    assert client.get("/pos/").status_code == 200
    assert client.get("/admin/").status_code == 302  # baristas are not admin staff


def test_manager_reaches_the_admin(client: Client, manager_user: Any) -> None:
    client.force_login(manager_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/payments/payment/").status_code == 200
    assert client.get("/admin/members/member/").status_code == 200


def test_roles_exist_with_their_permissions() -> None:
    from django.contrib.auth.models import Group

    barista = Group.objects.get(name="Barista")
    shift = Group.objects.get(name="Shift manager")
    manager = Group.objects.get(name="Manager")
    assert barista.permissions.filter(codename="use_pos").exists()
    assert not barista.permissions.filter(codename="approve_refund").exists()
    assert shift.permissions.filter(codename="approve_refund").exists()
    assert manager.permissions.filter(codename="change_programmesettings").exists()


def test_manager_admin_pages_render(client: Client, manager_user: Any) -> None:
    member = MemberFactory.create(display_name="Adm", balance=10_000)
    client.force_login(manager_user)
    for url in [
        "/admin/members/member/",
        f"/admin/members/member/{member.pk}/change/",
        "/admin/members/tier/",
        "/admin/members/pointsentry/",
        "/admin/members/pointspolicy/",
        "/admin/campaigns/promotion/",
        "/admin/campaigns/earnrule/",
        "/admin/payments/account/",
        "/admin/payments/transfer/",
        "/admin/payments/riskalert/",
        "/admin/payments/store/",
        "/admin/payments/terminal/",
        "/admin/payments/programmesettings/",
        "/admin/payments/topupbonusrule/",
        "/admin/payments/topup/",
    ]:
        assert client.get(url).status_code == 200, url


def test_manager_adjusts_points_with_a_reason_from_the_admin(client: Client, manager_user: Any) -> None:
    member = MemberFactory.create(display_name="Adj")
    client.force_login(manager_user)
    form = client.post("/admin/members/member/", {"action": "adjust_points", "_selected_action": [member.pk]})
    assert form.status_code == 200 and b"reason" in form.content
    client.post(
        "/admin/members/member/",
        {
            "action": "adjust_points",
            "_selected_action": [member.pk],
            "apply": "1",
            "points": "25",
            "reason": "goodwill",
        },
    )
    member.refresh_from_db()
    assert member.points_balance == 25


def test_member_downloads_their_data_as_json(member_client: Client, member: Member) -> None:
    from payments.services.top_ups import wallet_top_up

    wallet_top_up(member=member, amount=20_000, tender="cash")
    response = member_client.get("/me/privacy/export.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["profile"]["card_number"] == member.card_number
    assert data["wallet_history"][0]["amount"] == 20_000
    assert "coupons" in data


def test_member_deletes_their_account_and_records_stay_anonymised(member_client: Client, member: Member) -> None:
    from payments.models import Account, Transfer
    from payments.selectors.ledger import ledger_problems
    from payments.services.top_ups import wallet_top_up

    wallet_top_up(member=member, amount=20_000, tender="cash")
    wrong = member_client.post("/me/privacy/", {"confirm": "delete", "password": "nope"})
    assert wrong.status_code == 200 and b"errorlist" in wrong.content
    done = member_client.post("/me/privacy/", {"confirm": "DELETE", "password": PASSWORD})
    assert done.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.email, member.user_id) == ("Deleted member", "", None)
    assert member.anonymised_at is not None
    assert Transfer.objects.filter(credit_account=Account.objects.get(member=member)).exists()
    assert ledger_problems() == []
    assert member_client.get("/me/").status_code == 302  # signed out
    assert not Client().login(username="mei@example.com", password=PASSWORD)


def test_staff_can_add_a_security_key_or_passkey(client: Client, barista_user: Any) -> None:
    client.force_login(barista_user)
    index = client.get("/accounts/2fa/")
    assert index.status_code == 200
    assert b"/accounts/2fa/webauthn/" in index.content
    assert client.get("/accounts/2fa/webauthn/add/").status_code in (200, 302)


def test_sign_in_page_offers_passkey_sign_in_as_the_secondary_action(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'id="passkey_login"' in page
    passkey_button = page[page.index('id="passkey_login"') - 200 : page.index('id="passkey_login"')]
    assert "btn-secondary" in passkey_button


def test_manager_front_page_shows_today_at_a_glance(client: Client, manager_user: Any, shift_manager_user: Any) -> None:
    member = MemberFactory.create(display_name="Today", balance=50_000)
    pay_from_wallet(member=member, amount=12_000)
    client.force_login(manager_user)
    page = client.get("/admin/").content.decode()
    assert "Today" in page and "Wallet payments" in page
    assert "1 · NT$120" in page  # one payment today
    assert "NT$380" in page  # what the member's wallet still holds
    assert "paid back in cash" not in page  # shown only on a day it happens
    from payments.models import Store
    from payments.services.cash_out import wallet_cash_out

    wallet_cash_out(
        member=member, store=Store.objects.create(name="S", slug="s"), actor=shift_manager_user,
        approved_by=manager_user, reason="leaving", amount=8_000,
    )  # fmt: skip
    page = client.get("/admin/").content.decode()
    assert "Wallets paid back in cash" in page and "NT$80" in page and "NT$300" in page
    assert client.get("/admin/payments/riskalert/?resolved_at__isempty=1").status_code == 200
