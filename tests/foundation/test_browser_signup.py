"""What a new member does with their hands: sign up, verify by code, see the card."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from members.models import Member
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_member_signs_up_verifies_and_sees_their_card(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Join free").click()
    page.locator("#id_email").fill("lin@example.com")
    page.locator("#id_name").fill("Lin Wen")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", str(mail.outbox[-1].body))
    assert code is not None
    page.locator("#id_code").fill(code.group(1))
    page.get_by_role("button", name="Confirm").click()

    card = page.get_by_test_id("member-card")
    card.wait_for()
    member = Member.objects.get(email="lin@example.com")
    assert member.card_number_display in card.inner_text()
    assert "Lin Wen" in card.inner_text()
