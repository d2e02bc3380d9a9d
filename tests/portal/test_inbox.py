"""Inbox: opening a notice marks it read; "Mark all read" marks them all."""

from __future__ import annotations

import pytest
from django.test import Client

from members.models import Member, Notice
from tests.conftest import MemberFactory

pytestmark = pytest.mark.django_db


def notice(member: Member, title: str, **fields: str) -> Notice:
    return Notice.objects.create(member=member, kind="wallet", title=title, **fields)


def test_opening_a_notice_shows_it_and_marks_only_it_read(member_client: Client, member: Member) -> None:
    receipt = notice(member, "Receipt NT$150 at Da'an", body="+15 points", link="/wallet/receipts/1/")
    other = notice(member, "Points expire soon")
    inbox = member_client.get("/me/inbox/").content.decode()
    assert f'href="/me/inbox/{receipt.pk}/"' in inbox

    page = member_client.get(f"/me/inbox/{receipt.pk}/").content.decode()
    assert "Receipt NT$150 at Da&#x27;an" in page and "+15 points" in page
    assert 'href="/wallet/receipts/1/"' in page
    receipt.refresh_from_db()
    other.refresh_from_db()
    assert receipt.read_at is not None and other.read_at is None
    first_read = receipt.read_at
    member_client.get(f"/me/inbox/{receipt.pk}/")
    receipt.refresh_from_db()
    assert receipt.read_at == first_read
    assert member_client.get("/me/inbox/badge/").content.decode().count(">1<") == 1


def test_another_members_notice_is_not_found_and_stays_unread(member_client: Client) -> None:
    stranger = MemberFactory.create()
    theirs = notice(stranger, "Not yours")
    assert member_client.get(f"/me/inbox/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_every_notice_read(member_client: Client, member: Member) -> None:
    for title in ("one", "two", "three"):
        notice(member, title)
    assert 'data-testid="mark-all-read"' in member_client.get("/me/inbox/").content.decode()
    assert member_client.post("/me/inbox/").status_code == 302
    assert not Notice.objects.filter(member=member, read_at__isnull=True).exists()
    assert member_client.get("/me/inbox/badge/").content.decode().strip() == ""
