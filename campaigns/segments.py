"""RFM segments: how recently, how often and how much each member buys.

Scores run 1 (worst) to 5 (best). Recency and frequency use fixed cafe
thresholds, so a manager can read them ("R5 = visited in the last week");
monetary is relative: the member's spend percentile among members who spent in
the last 12 months, in fifths. The segment names follow the usual RFM grid.
`segments_compute` is the periodic job (`manage.py compute_segments`): one
aggregate query over visits (`visit_totals_by_member`, a selector), then one
upsert (`cafe_loyalty.core.bulk`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from cafe_loyalty.core.bulk import upsert_rows
from campaigns.models import MemberSegment
from campaigns.selectors import visit_totals_by_member
from members.models import Member

YEAR = timedelta(days=365)
# Days since the last visit at or under which a member scores R5, R4, R3, R2.
RECENCY_DAYS = (7, 14, 30, 60)
# Visits in 12 months at or above which a member scores F5, F4, F3, F2.
FREQUENCY_VISITS = (52, 24, 12, 4)

Segment = MemberSegment.Segment
COLUMNS = [
    "member_id",
    "last_visit_at",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "computed_at",
]


def recency_score(days: int) -> int:
    for score, limit in zip((5, 4, 3, 2), RECENCY_DAYS, strict=True):
        if days <= limit:
            return score
    return 1


def frequency_score(visits: int) -> int:
    for score, floor in zip((5, 4, 3, 2), FREQUENCY_VISITS, strict=True):
        if visits >= floor:
            return score
    return 1


def monetary_score(spend: int, *, sorted_spends: list[int]) -> int:
    """Fifth of the member's mid-rank percentile among `sorted_spends`."""
    if not sorted_spends:
        return 1
    below = bisect.bisect_left(sorted_spends, spend)
    equal = bisect.bisect_right(sorted_spends, spend) - below
    percentile = (below + equal / 2) / len(sorted_spends)
    return 1 + min(4, int(percentile * 5))


def segment_for(*, r: int, f: int, m: int, visits: int) -> str:
    """The RFM grid, recency first: recent members are champions, new or
    promising; members drifting away are at risk or lost, by how much they
    were worth (the mean of F and M, rounded up)."""
    fm = (f + m + 1) // 2
    if r >= 4:
        if fm >= 4:
            return Segment.CHAMPIONS
        return Segment.NEW if visits <= 1 else Segment.POTENTIAL
    if r == 3:
        return Segment.LOYAL if fm >= 4 else Segment.NEEDS_ATTENTION
    if r == 2:
        return Segment.AT_RISK if fm >= 3 else Segment.HIBERNATING
    return Segment.CANT_LOSE if fm >= 4 else Segment.LOST


@dataclass(frozen=True)
class SegmentRun:
    members: int
    by_segment: dict[str, int]


def segments_compute(*, now: datetime | None = None) -> SegmentRun:
    """Score every member who has visited (anonymised members excluded, and
    their rows removed: a deleted account keeps no profile)."""
    now = now or timezone.now()
    rows = visit_totals_by_member(since=now - YEAR)
    spends = sorted(row.spend for row in rows if row.spend)
    at = connection.ops.adapt_datetimefield_value(now)
    segments = []
    counts: dict[str, int] = {}
    for row in rows:
        days = max((now - row.last_visit_at).days, 0)
        visits, spend = row.visits, row.spend
        r, f = recency_score(days), frequency_score(visits)
        m = monetary_score(spend, sorted_spends=spends) if spend else 1
        segment = str(segment_for(r=r, f=f, m=m, visits=visits))
        counts[segment] = counts.get(segment, 0) + 1
        last = connection.ops.adapt_datetimefield_value(row.last_visit_at)
        segments.append((row.member_id, last, days, visits, spend, r, f, m, segment, at))
    with transaction.atomic():
        # Plain tuples and one upsert: model instances and bulk_create took
        # three quarters of the job's time at 20,000 members.
        upsert_rows(MemberSegment._meta.db_table, COLUMNS, segments, conflict=["member_id"])
        MemberSegment.objects.filter(
            member__in=Member.objects.filter(anonymised_at__isnull=False).values("pk")
        ).delete()
    return SegmentRun(members=len(segments), by_segment=counts)
