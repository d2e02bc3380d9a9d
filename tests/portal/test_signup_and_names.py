"""Sign-up: each error under its own field, the consent box beside its label,
the programme's name in emails and pages, the member's name in the welcome."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def field_blocks(html: str) -> dict[str, str]:
    """Each rendered form field's block (includes/form_fields.html), by the id of its input."""
    blocks = {}
    for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', html, flags=re.S):
        control = re.search(r'<(?:input|select|textarea)[^>]*\bid="(id_\w+)"', block)
        if control:
            blocks[control.group(1)] = block
    return blocks


def signup(client: Client, **data: str) -> Any:
    fields = {"email": "lin@example.com", "password1": PASSWORD, "password2": PASSWORD, "name": "Lin Wen"}
    return client.post("/accounts/signup/", {**fields, **data})


def test_each_signup_error_sits_under_its_own_field(client: Client) -> None:
    html = signup(client, name="", password1="short", password2="short").content.decode()
    blocks = field_blocks(html)
    name, password = blocks["id_name"], blocks["id_password1"]
    assert "This field is required." in name
    assert name.index("This field is required.") > name.index('id="id_name"')  # under the box, not above the label
    assert "too short" in password and password.index("too short") > password.index('id="id_password1"')
    # No error sits in another field's block.
    assert "errorlist" not in blocks["id_email"] and "errorlist" not in blocks["id_password2"]


def test_signup_consent_box_sits_beside_its_label_after_the_passwords(client: Client) -> None:
    html = client.get("/accounts/signup/").content.decode()
    order = [found for found in re.findall(r'\bid="(id_\w+)"', html) if found.startswith("id_")]
    assert order.index("id_marketing_email") > order.index("id_password2") > order.index("id_name")
    box = field_blocks(html)["id_marketing_email"]
    assert re.search(
        r'<input type="checkbox"[^>]*id="id_marketing_email"[^>]*>\s*<label for="id_marketing_email">', box
    )


def test_the_verification_email_carries_the_programme_name_not_the_host(client: Client) -> None:
    signup(client)
    email = mail.outbox[-1]
    assert email.subject.startswith("[Cafe Loyalty] ")
    assert "Hello from Cafe Loyalty!" in email.body
    assert "Lin Wen gave your email address to join Cafe Loyalty." in email.body
    for host in ("testserver", "127.0.0.1", "localhost", "example.com has given"):
        assert host not in f"{email.subject} {email.body}"
    assert re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", str(email.body))


def test_a_cafe_names_its_programme_in_one_setting(client: Client, settings: Any) -> None:
    settings.CAFE_PROGRAMME_NAME = "Da'an Beans Club"
    signup(client)
    assert mail.outbox[-1].subject.startswith("[Da'an Beans Club] ")
    assert "Hello from Da'an Beans Club!" in mail.outbox[-1].body
    page = client.get("/privacy-policy/").content.decode()
    assert "· Da&#x27;an Beans Club</title>" in page
    assert "Cafe Loyalty" not in page


def test_the_verification_email_is_in_the_language_of_the_sign_up(client: Client) -> None:
    client.cookies["django_language"] = "zh-hant"
    signup(client)
    email = mail.outbox[-1]
    assert email.subject.startswith("[咖啡會員] ")
    assert "咖啡會員" in email.body and "Hello from" not in email.body


def test_the_welcome_names_the_member_not_their_email(client: Client) -> None:
    signup(client, email="lin.wen.1990@example.com")
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", str(mail.outbox[-1].body))
    assert code is not None
    welcome = client.post("/accounts/confirm-email/", {"code": code.group(1)}, follow=True).content.decode()
    assert "Successfully signed in as Lin Wen." in welcome
    assert "signed in as lin.wen" not in welcome.lower()


def test_the_privacy_policy_is_public_and_linked_from_sign_up_footer_and_privacy_page(member_client: Client) -> None:
    anonymous = Client()
    policy = anonymous.get("/privacy-policy/")
    assert policy.status_code == 200
    assert b'data-testid="privacy-policy"' in policy.content
    link = 'href="/privacy-policy/"'
    signup_page = anonymous.get("/accounts/signup/").content.decode()
    assert link in signup_page.split('data-testid="signup-privacy"')[1].split("</p>")[0]
    assert link in anonymous.get("/").content.decode().split("<footer")[1]
    assert link in member_client.get("/me/privacy/").content.decode().split("<main")[1]
    assert link in member_client.get("/me/consent/").content.decode().split("<main")[1]


def test_the_privacy_policy_is_in_the_readers_language(client: Client) -> None:
    client.cookies["django_language"] = "zh-hant"
    html = client.get("/privacy-policy/").content.decode()
    assert "隱私權政策" in html
    assert "What we keep" not in html
