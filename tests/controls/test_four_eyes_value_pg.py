"""Four eyes on manager-made value, on PostgreSQL with real threads: a
pending change approved by several managers at once is applied once, and a
manager's small changes sent at once still add up to the threshold."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from cafe_loyalty.models import ValueChange
from cafe_loyalty.value_changes.decisions import value_change_approve
from cafe_loyalty.value_changes.requests import points_adjust_request
from members.models import Member
from members.selectors import points_problems
from members.services import member_create
from payments.exceptions import ApprovalRefused
from tests.conftest import make_staff
from tests.helpers import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MANAGERS = 6


def test_managers_approving_one_change_at_once_apply_it_once(manager_user: Any, django_user_model: Any) -> None:
    assert connection.vendor == "postgresql"
    approvers = [make_staff(django_user_model, f"manager{i}@example.com", "Manager") for i in range(MANAGERS)]
    member = member_create(user=None, display_name="Wen", email="wen@example.com")
    change = points_adjust_request(member=member, points=5_000, reason="lost card", requester=manager_user)

    results = run_concurrently(
        MANAGERS,
        lambda i: value_change_approve(change_id=change.pk, approver=approvers[i]),
        allowed=(ApprovalRefused,),
    )

    assert len([r for r in results if isinstance(r, ValueChange)]) == 1, results
    member.refresh_from_db()
    assert member.points_balance == 5_000
    assert member.points_entries.count() == 1
    assert points_problems() == []


def test_small_adjustments_sent_at_once_still_add_up_to_the_threshold(manager_user: Any) -> None:
    """Each 400 points is under the 1,000 threshold; sent from six tabs at
    once, only two fit under it on their own authority."""
    members = [member_create(user=None, display_name=f"M{i}", email=f"m{i}@example.com") for i in range(MANAGERS)]

    results = run_concurrently(
        MANAGERS,
        lambda i: points_adjust_request(member=members[i], points=400, reason="goodwill", requester=manager_user),
    )

    assert sorted(r.status for r in results) == ["applied"] * 2 + ["pending"] * (MANAGERS - 2)
    assert sum(Member.objects.values_list("points_balance", flat=True)) == 800
    assert points_problems() == []
