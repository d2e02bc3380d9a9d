"""The CLV job's one hand-written statement (an upsert) on PostgreSQL: first
run inserts, a rerun updates in place and leaves no stale rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.clv.scoring import clv_compute
from campaigns.models import MemberValue
from members.models import Member
from members.services import member_anonymise
from tests.campaigns.test_clv import cafe_population

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_scores_are_upserted_and_stale_rows_removed_on_postgres(make_member: Callable[..., Member]) -> None:
    now = timezone.now()
    cafe_population(make_member, now=now, members=80)
    first = clv_compute(now=now).fit
    assert first is not None and MemberValue.objects.filter(fitted_at=now).count() == 80
    row_ids = set(MemberValue.objects.values_list("pk", flat=True))
    leaving = MemberValue.objects.select_related("member").first()
    assert leaving is not None
    member_anonymise(member=leaving.member)
    later = now + timedelta(days=1)
    second = clv_compute(now=later).fit
    assert second is not None and second.members == 79
    assert MemberValue.objects.filter(fitted_at=later).count() == MemberValue.objects.count() == 79
    assert set(MemberValue.objects.values_list("pk", flat=True)) < row_ids  # updated in place, not re-inserted
