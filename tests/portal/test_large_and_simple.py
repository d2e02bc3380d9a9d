"""The "large and simple" mode's server side: saved with the profile, carried
in the session (pages pay no query for it), brought along at sign-in, and the
pay code as the home page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from members.display import SESSION_KEY
from members.models import Member
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def save_profile(client: Client, *, large: bool) -> Any:
    data = {"display_name": "Mei", "phone": "", "birthday": "", "preferred_language": "en"}
    if large:
        data["large_and_simple"] = "on"
    return client.post("/me/", data)


def test_saving_the_profile_turns_the_mode_on_and_the_pay_code_becomes_home(
    member_client: Client, member: Member
) -> None:
    assert member_client.get("/").status_code == 200  # the card, by default
    assert save_profile(member_client, large=True).status_code == 302
    member.refresh_from_db()
    assert member.large_and_simple and member_client.session[SESSION_KEY] is True
    home = member_client.get("/")
    assert home.status_code == 302 and home["Location"] == "/pay/"
    assert 'class="portal large-mode"' in member_client.get("/me/").content.decode()


def test_turning_it_off_brings_the_card_back(member_client: Client, member: Member) -> None:
    save_profile(member_client, large=True)
    save_profile(member_client, large=False)
    member.refresh_from_db()
    assert not member.large_and_simple and member_client.session[SESSION_KEY] is False
    assert member_client.get("/").status_code == 200
    assert 'class="portal"' in member_client.get("/me/").content.decode()


def test_signing_in_on_another_device_brings_the_mode_along(member_user: Any, member: Member) -> None:
    Member.objects.filter(pk=member.pk).update(large_and_simple=True)
    device = Client()
    assert device.login(username=member_user.username, password=PASSWORD)
    assert device.session[SESSION_KEY] is True
    assert 'class="portal large-mode"' in device.get("/pay/").content.decode()
