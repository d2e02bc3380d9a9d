"""Churn and retention for managers, from visits (one per paid order): the
app's read-only report queries (the other reads are in campaigns.selectors).

- Monthly activity: members active in each month, how many were new, how many
  came back from the month before, and the month's churn: the share of last
  month's active members who did not come this month.
- Cohorts: members grouped by the month of their first visit, and the share
  of each cohort active in each following month.
- Lapsed now: members whose last visit is more than CHURN_DAYS ago.

Monthly activity and cohorts count members by month, first-visit month and
"came the month before" (members.visit_months: closed months from its nightly
summary, the current month from visits), so memory, transfer and time do not
grow with the visits; the arithmetic on those counts is done here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from cafe_loyalty.core.clock import add_months, month_of
from campaigns.models import Campaign, CampaignEntry, CampaignVariant
from campaigns.selectors import campaign_entries_came_back, campaign_result
from campaigns.stats import Interval, ProportionTest, proportion_interval, two_proportion_z_test
from members.models import Member, Visit
from members.visit_months import MonthCounts, visit_month_counts

CHURN_DAYS = 60


def _this_month(now: datetime | None) -> date:
    return month_of(now or timezone.now())


@dataclass(frozen=True)
class MonthActivity:
    month: date
    active: int
    new: int
    returning: int
    churned: int

    @property
    def churn_rate(self) -> float | None:
        """Churned ÷ members active the month before."""
        before = self.returning + self.churned
        return self.churned / before if before else None


def monthly_activity(*, months: int = 12, now: datetime | None = None) -> list[MonthActivity]:
    """The last `months` months, oldest first, the current month included
    (three queries: see members.visit_months.visit_month_counts)."""
    first = add_months(_this_month(now), -(months - 1))
    return _activity(visit_month_counts(first=add_months(first, -1), last=_this_month(now), now=now), first, months)


def _activity(counts: MonthCounts, first: date, months: int) -> list[MonthActivity]:
    """`counts` must cover the month before `first` too, for its returning and churned."""
    active: Counter[date] = Counter()
    new: Counter[date] = Counter()
    returning: Counter[date] = Counter()
    for (month, first_month, came_before), n in counts.items():
        active[month] += n
        new[month] += n if first_month == month else 0
        returning[month] += n if came_before else 0
    rows = []
    for i in range(months):
        month = add_months(first, i)
        # Churned: active the month before and not this month.
        churned = active[add_months(month, -1)] - returning[month]
        rows.append(MonthActivity(month, active[month], new[month], returning[month], churned))
    return rows


@dataclass(frozen=True)
class Cohort:
    month: date
    size: int
    retained: list[float | None]  # share active in month +1, +2, …; None = not yet happened


def cohort_retention(*, months: int = 6, now: datetime | None = None) -> list[Cohort]:
    """Cohorts of the last `months` months by first-visit month, oldest first
    (three queries: see members.visit_months.visit_month_counts)."""
    first = add_months(_this_month(now), -(months - 1))
    return _cohorts(visit_month_counts(first=first, last=_this_month(now), now=now), first, months)


def _cohorts(counts: MonthCounts, first: date, months: int) -> list[Cohort]:
    """Each cohort's size and its members active in each later month."""
    kept: Counter[tuple[date, date]] = Counter()  # (cohort, month) → its members active in the month
    for (month, first_month, _came_before), n in counts.items():
        kept[first_month, month] += n
    cohorts = []
    for i in range(months):
        cohort = add_months(first, i)
        size = kept[cohort, cohort]
        # Months after the window's last (this month) have not happened yet.
        retained: list[float | None] = [
            kept[cohort, add_months(cohort, offset)] / size if size and i + offset < months else None
            for offset in range(1, months)
        ]
        cohorts.append(Cohort(month=cohort, size=size, retained=retained))
    return cohorts


def retention_figures(
    *, months: int = 12, cohort_months: int = 6, now: datetime | None = None
) -> tuple[list[MonthActivity], list[Cohort]]:
    """monthly_activity and cohort_retention from one count of the months
    (the report page shows both): three queries."""
    this_month = _this_month(now)
    first = add_months(this_month, -(max(months, cohort_months) - 1))
    counts = visit_month_counts(first=add_months(first, -1), last=this_month, now=now)
    activity = _activity(counts, add_months(this_month, -(months - 1)), months)
    return activity, _cohorts(counts, add_months(this_month, -(cohort_months - 1)), cohort_months)


@dataclass(frozen=True)
class LapsedSummary:
    customers: int  # members who ever visited
    active: int  # visited within CHURN_DAYS
    lapsed: int

    @property
    def lapsed_share(self) -> float | None:
        return self.lapsed / self.customers if self.customers else None


def lapsed_summary(*, now: datetime | None = None) -> LapsedSummary:
    cutoff = (now or timezone.now()) - timedelta(days=CHURN_DAYS)
    # One index probe per member, not a pass over every visit ever.
    customers = Member.objects.filter(Exists(Visit.objects.filter(member=OuterRef("pk")))).count()
    active = Visit.objects.filter(at__gte=cutoff).aggregate(n=Count("member_id", distinct=True))["n"] or 0
    return LapsedSummary(customers=customers, active=active, lapsed=customers - active)


@dataclass(frozen=True)
class CampaignComparison:
    campaign: str
    treatment_rate: float | None
    holdout_rate: float | None
    treatment_members: int
    holdout_members: int


def campaign_comparisons(*, limit: int = 8) -> list[CampaignComparison]:
    """Came-back rates of the sent group against the holdout, for the newest
    `limit` campaigns that entered anyone. One query per campaign shown (each
    has its own conversion window), so at most `limit` + 1."""
    campaigns = Campaign.objects.filter(entries__isnull=False).distinct().order_by("-created_at")[:limit]
    rows = []
    for campaign in campaigns:
        result = campaign_result(campaign=campaign)
        rows.append(
            CampaignComparison(
                campaign=campaign.name,
                treatment_rate=result.treatment.rate,
                holdout_rate=result.holdout.rate,
                treatment_members=result.treatment.members,
                holdout_members=result.holdout.members,
            )
        )
    return rows


# --- A/B variants (issue 17, item 11) ---------------------------------------------
# Beside the whole-campaign figures above (campaign_result keeps its shape):
# the same came-back rule, per variant, with intervals and tests.


@dataclass(frozen=True)
class VariantResult:
    key: str  # "holdout", "implicit" (sent without a variant) or the variant's id
    name: str
    members: int
    converted: int
    interval: Interval | None

    @property
    def rate(self) -> float | None:
        return self.converted / self.members if self.members else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    @property
    def interval_text(self) -> str:
        if self.interval is None:
            return "—"
        return f"{self.interval.low * 100:.1f}%–{self.interval.high * 100:.1f}%"


def campaign_variant_results(*, campaign: Campaign) -> list[VariantResult]:
    """The holdout first, then each variant (and the campaign's own offer for
    members sent before it had variants, or when it has none). Two queries."""
    counts: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        campaign_entries_came_back(campaign=campaign)
        .values("group", "variant_id", "converted")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        key = (row["group"], None if row["group"] == CampaignEntry.Group.HOLDOUT else row["variant_id"])
        counts[key][0] += row["n"]
        counts[key][1] += row["n"] if row["converted"] else 0
    variants = list(CampaignVariant.objects.filter(campaign=campaign).order_by("pk"))

    def result(key: str, name: str, members: int, done: int) -> VariantResult:
        interval = proportion_interval(converted=done, members=members)
        return VariantResult(key=key, name=name, members=members, converted=done, interval=interval)

    holdout = counts.get((CampaignEntry.Group.HOLDOUT, None), [0, 0])
    results = [result("holdout", gettext("Holdout (nothing sent)"), *holdout)]
    implicit = counts.get((CampaignEntry.Group.TREATMENT, None))
    if implicit or not variants:
        results.append(result("implicit", gettext("The campaign's own offer"), *(implicit or [0, 0])))
    for variant in variants:
        results.append(
            result(str(variant.pk), variant.name, *counts.get((CampaignEntry.Group.TREATMENT, variant.pk), [0, 0]))
        )
    return results


@dataclass(frozen=True)
class VariantComparison:
    first: VariantResult
    second: VariantResult
    test: ProportionTest | None

    @property
    def difference_text(self) -> str:
        if self.test is None:
            return "—"
        return gettext("%(points)s pp") % {"points": f"{self.test.difference * 100:+.1f}"}

    @property
    def interval_text(self) -> str:
        if self.test is None:
            return "—"
        low, high = self.test.interval.low * 100, self.test.interval.high * 100
        return gettext("%(low)s to %(high)s pp") % {"low": f"{low:+.1f}", "high": f"{high:+.1f}"}

    @property
    def p_value_text(self) -> str:
        return "—" if self.test is None else p_value_text(self.test.p_value)

    @property
    def sentence(self) -> str:
        """The plain-words verdict for managers."""
        names = {"first": self.first.name, "second": self.second.name}
        if self.test is None:
            return gettext("Not enough members yet to compare %(first)s and %(second)s.") % names
        p_value = p_value_text(self.test.p_value)
        if not self.test.significant:
            return gettext("The difference between %(first)s and %(second)s is not significant (%(p)s).") % {
                **names,
                "p": p_value,
            }
        better, worse = (self.first, self.second) if self.test.difference > 0 else (self.second, self.first)
        return gettext(
            "%(better)s brought back more members than %(worse)s, by %(points)s percentage points;"
            " the difference is significant (%(p)s)."
        ) % {
            "better": better.name,
            "worse": worse.name,
            "points": f"{abs(self.test.difference) * 100:.1f}",
            "p": p_value,
        }


def p_value_text(p_value: float) -> str:
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.2f}" if p_value >= 0.01 else f"p = {p_value:.3f}"


def campaign_variant_comparisons(results: list[VariantResult]) -> list[VariantComparison]:
    """Each sent variant against the holdout, then every pair of variants."""
    holdout, sent = results[0], results[1:]

    def compare(first: VariantResult, second: VariantResult) -> VariantComparison:
        test = two_proportion_z_test(
            converted_a=first.converted,
            members_a=first.members,
            converted_b=second.converted,
            members_b=second.members,
        )
        return VariantComparison(first=first, second=second, test=test)

    against_holdout = [compare(variant, holdout) for variant in sent]
    between = [compare(a, b) for i, a in enumerate(sent) for b in sent[i + 1 :]]
    return against_holdout + between
