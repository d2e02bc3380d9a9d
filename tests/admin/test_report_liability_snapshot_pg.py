"""The liability report's reconciliation on a busy PostgreSQL: points earned
by a payment that commits between the report's statements do not make it say
the ledgers disagree — its reads share one snapshot (cafe_loyalty.core.snapshot)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cafe_loyalty.core.snapshot import one_snapshot
from members.models import Member
from members.points import points_adjust
from payments.selectors import liability
from payments.selectors.liability import points_liability

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def a_payment_commits_mid_report(monkeypatch: pytest.MonkeyPatch, make_member: Callable[..., Member]) -> None:
    """Between the report's read of the points lots and its read of the
    entries and balances, another session commits 25 points for a member."""
    member = make_member()
    points_adjust(member=member, points=10, reason="opening balance")
    moves = liability.points_moves

    def another_till_meanwhile(**kwargs: Any) -> Any:
        def earn() -> None:
            try:
                points_adjust(member=Member.objects.get(pk=member.pk), points=25, reason="a sale meanwhile")
            finally:
                connection.close()

        till = threading.Thread(target=earn)
        till.start()
        till.join()
        return moves(**kwargs)

    monkeypatch.setattr(liability, "points_moves", another_till_meanwhile)


def test_without_one_snapshot_the_report_would_see_a_mismatch(a_payment_commits_mid_report: None) -> None:
    # What the snapshot prevents (so the test below can fail): the lots were read before the sale.
    report = points_liability()
    assert (report.live_lots, report.member_balances, report.entries_total) == (10, 35, 35)
    assert not report.reconciled


def test_in_one_snapshot_the_figures_reconcile_as_of_its_moment(a_payment_commits_mid_report: None) -> None:
    with one_snapshot():
        report = points_liability()
    assert (report.live_lots, report.member_balances, report.entries_total) == (10, 10, 10)
    assert report.reconciled
    assert points_liability().live_lots == 35  # the sale is there for the next reader
