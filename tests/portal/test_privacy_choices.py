"""Privacy choices: a purpose x channel grid with only the channels that send."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from members.models import Consent, Member
from members.selectors import consent_current
from members.services import consent_record

pytestmark = pytest.mark.django_db


def test_the_grid_has_a_row_per_purpose_and_only_the_email_column(member_client: Client) -> None:
    html = member_client.get("/me/consent/").content.decode()
    grid = html.split('data-testid="consent-grid"')[1].split("</table>")[0]
    assert re.findall(r'data-channel="(\w+)"', grid) == ["email"]
    assert len(re.findall(r'<th scope="row">', grid)) == len(Consent.Purpose.choices)
    boxes = re.findall(r'name="(\w+__\w+)"', grid)
    assert boxes == [f"email__{purpose}" for purpose in Consent.Purpose.values]
    assert "sms" not in grid and "push" not in grid


def test_each_box_is_named_by_purpose_and_channel(member_client: Client) -> None:
    html = member_client.get("/me/consent/").content.decode()
    assert re.search(
        r'<label class="tap-target" for="id_email__marketing"><input[^>]*id="id_email__marketing"[^>]*>'
        r'<span class="sr-only">Offers and news — Email</span></label>',
        html,
    )


def test_saving_the_grid_records_each_choice(member_client: Client, member: Member) -> None:
    member_client.post("/me/consent/", {"email__marketing": "on", "email__activity": "on"})
    current = consent_current(member=member)
    assert current[("email", "marketing")] and current[("email", "activity")]
    assert not current.get(("email", "feedback"), False)
    assert not any(channel != "email" for channel, _purpose in current)


def test_a_yes_left_on_a_channel_that_does_not_send_can_be_withdrawn(member_client: Client, member: Member) -> None:
    consent_record(member=member, channel="sms", purpose="personalised", granted=True)
    html = member_client.get("/me/consent/").content.decode()
    assert 'data-channel="sms"' in html and 'data-channel="push"' not in html
    member_client.post("/me/consent/", {"email__activity": "on"})
    assert consent_current(member=member)[("sms", "personalised")] is False
    assert 'data-channel="sms"' not in member_client.get("/me/consent/").content.decode()
