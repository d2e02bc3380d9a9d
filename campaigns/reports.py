"""Churn and retention for managers, from visits (one per paid order): the
app's read-only report queries (the other reads are in campaigns.selectors).

- Monthly activity: members active in each month, how many were new, how many
  came back from the month before, and the month's churn: the share of last
  month's active members who did not come this month.
- Cohorts: members grouped by the month of their first visit, and the share
  of each cohort active in each following month.
- Lapsed now: members whose last visit is more than CHURN_DAYS ago.

Each report is one or two aggregate queries; the arithmetic is done here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, Min, OuterRef
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from campaigns.models import Campaign, CampaignEntry, CampaignVariant
from campaigns.selectors import campaign_result
from campaigns.stats import Interval, ProportionTest, proportion_interval, two_proportion_z_test
from members.models import Visit

CHURN_DAYS = 60


def _month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date(value.year, value.month, 1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _active_by_month(since: date) -> dict[date, set[int]]:
    start = timezone.make_aware(datetime(since.year, since.month, 1))
    pairs = (
        Visit.objects.filter(at__gte=start)
        .annotate(month=TruncMonth("at"))
        .values_list("member_id", "month")
        .distinct()
    )
    active: dict[date, set[int]] = defaultdict(set)
    for member_id, month in pairs:
        active[_month(month)].add(member_id)
    return active


def _first_months(since: date) -> dict[int, date]:
    start = timezone.make_aware(datetime(since.year, since.month, 1))
    firsts = Visit.objects.values("member_id").annotate(first=Min("at")).filter(first__gte=start).order_by()
    return {row["member_id"]: _month(row["first"]) for row in firsts}


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
    """The last `months` months, oldest first, the current month included."""
    this_month = _month(now or timezone.now())
    first = _add_months(this_month, -(months - 1))
    active = _active_by_month(_add_months(first, -1))
    firsts = _first_months(first)
    rows = []
    for i in range(months):
        month = _add_months(first, i)
        current, previous = active.get(month, set()), active.get(_add_months(month, -1), set())
        rows.append(
            MonthActivity(
                month=month,
                active=len(current),
                new=sum(1 for member in current if firsts.get(member) == month),
                returning=len(current & previous),
                churned=len(previous - current),
            )
        )
    return rows


@dataclass(frozen=True)
class Cohort:
    month: date
    size: int
    retained: list[float | None]  # share active in month +1, +2, …; None = not yet happened


def cohort_retention(*, months: int = 6, now: datetime | None = None) -> list[Cohort]:
    """Cohorts of the last `months` months by first-visit month, oldest first."""
    this_month = _month(now or timezone.now())
    first = _add_months(this_month, -(months - 1))
    active = _active_by_month(first)
    members_by_cohort: dict[date, set[int]] = defaultdict(set)
    for member, month in _first_months(first).items():
        members_by_cohort[month].add(member)
    cohorts = []
    for i in range(months):
        month = _add_months(first, i)
        members = members_by_cohort.get(month, set())
        retained: list[float | None] = []
        for offset in range(1, months):
            later = _add_months(month, offset)
            if later > this_month or not members:
                retained.append(None)
            else:
                retained.append(len(members & active.get(later, set())) / len(members))
        cohorts.append(Cohort(month=month, size=len(members), retained=retained))
    return cohorts


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
    customers = Visit.objects.aggregate(n=Count("member_id", distinct=True))["n"] or 0
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
    window = timedelta(days=campaign.conversion_days)
    converted = Visit.objects.filter(
        member=OuterRef("member"), at__gt=OuterRef("entered_at"), at__lte=OuterRef("entered_at") + window
    )
    counts: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        campaign.entries.annotate(converted=Exists(converted))
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
