"""The retention and churn report's figures as CSV rows (the report's
`?format=csv`), beside its charts: monthly activity, cohorts, campaigns
against their holdout, members per segment. Shares as fractions (0.25), so a
spreadsheet can compute with them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import MemberSegment
from campaigns.reports import CampaignComparison, Cohort, LapsedSummary, MonthActivity


def _share(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def retention_rows(
    *,
    lapsed: LapsedSummary,
    months: list[MonthActivity],
    cohorts: list[Cohort],
    comparisons: list[CampaignComparison],
    segments: dict[str, int],
) -> Iterator[Sequence[object]]:
    yield [_("Retention and churn"), timezone.localtime().isoformat(timespec="minutes")]
    yield [_("Members who ever paid"), lapsed.customers]
    yield [_("Active"), lapsed.active]
    yield [_("Lapsed"), lapsed.lapsed]
    yield []
    yield [_("Month"), _("Active"), _("New"), _("Returning"), _("Churned"), _("Churn rate")]
    for row in months:
        yield [row.month.strftime("%Y-%m"), row.active, row.new, row.returning, row.churned, _share(row.churn_rate)]
    yield []
    offsets = len(cohorts[0].retained) if cohorts else 0
    yield [_("First visit"), _("Members"), *(f"+{i}" for i in range(1, offsets + 1))]
    for cohort in cohorts:
        yield [cohort.month.strftime("%Y-%m"), cohort.size, *(_share(share) for share in cohort.retained)]
    yield []
    yield [_("Campaign"), _("Members sent"), _("Came back, sent"), _("Holdout members"), _("Came back, holdout")]
    for c in comparisons:
        yield [c.campaign, c.treatment_members, _share(c.treatment_rate), c.holdout_members, _share(c.holdout_rate)]
    yield []
    labels = dict(MemberSegment.Segment.choices)
    yield [_("Segment"), _("Members")]
    for key, count in segments.items():
        yield [str(labels[key]), count]
