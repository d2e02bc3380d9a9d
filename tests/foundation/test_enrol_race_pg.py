"""Two enrolments of one address at the same moment (two tills, or a till
and the portal) make one member: the database's one-member-per-address rule
decides, and the loser is told "already a member"."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from members.exceptions import MemberExists
from members.models import Member
from members.services import member_create, member_enrol_at_till, username_for_email
from tests.helpers import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TILLS = 5


def test_tills_enrolling_one_address_at_once_make_one_member() -> None:
    assert connection.vendor == "postgresql"
    # Someone already has the username the address would get first, so each
    # till picks a different one: usernames no longer keep the racers apart.
    get_user_model().objects.create_user(username=username_for_email("lin@example.com"), email="other@example.com")
    results = run_concurrently(
        TILLS, lambda i: member_enrol_at_till(email="Lin@Example.com", name=f"Lin {i}"), allowed=(MemberExists,)
    )
    made = [r for r in results if isinstance(r, Member)]
    assert len(made) == 1
    assert sum(isinstance(r, MemberExists) for r in results) == TILLS - 1
    assert Member.objects.filter(email__iexact="lin@example.com").count() == 1
    # The losers' half-made accounts went with their transactions.
    assert get_user_model().objects.filter(email__iexact="lin@example.com").count() == 1


def test_a_second_member_for_an_address_in_another_case_is_refused() -> None:
    member_create(user=None, display_name="Lin", email="lin@example.com")
    with pytest.raises(MemberExists):
        member_create(user=None, display_name="Lin again", email="LIN@example.com")
    # Members without an address (anonymised, or enrolled by card only) may be many.
    member_create(user=None, display_name="A", email="")
    member_create(user=None, display_name="B", email="")
