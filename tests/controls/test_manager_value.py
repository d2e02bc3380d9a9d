"""Money controls: a manager cannot move a member's wallet to their own login."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from members.services import member_create

pytestmark = pytest.mark.django_db


def test_a_manager_cannot_move_a_wallet_to_their_own_login(client: Client, manager_user: Any, member_user: Any) -> None:
    member = member_create(user=member_user, display_name="Wen", email="wen@example.com")
    client.force_login(manager_user)
    url = f"/admin/members/member/{member.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="user"' not in page  # shown, not editable
    client.post(url, {"user": manager_user.pk, "display_name": "Wen", "preferred_language": "en"})
    member.refresh_from_db()
    assert member.user == member_user
