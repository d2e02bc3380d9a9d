"""Churn and retention for managers, from visits (one per paid order): the
app's read-only report queries (the other reads are in campaigns.selectors).

- Monthly activity: members active in each month, how many were new, how many
  came back from the month before, and the month's churn: the share of last
  month's active members who did not come this month.
- Cohorts: members grouped by the month of their first visit, and the share
  of each cohort active in each following month.
- Lapsed now: members whose last visit is more than CHURN_DAYS ago.

Each report is one or two aggregate queries, counted in SQL (one row per
member, conditional counts over it), so memory and transfer do not grow with
the visits; the arithmetic on those counts is done here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
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


def _month_start(month: date) -> datetime:
    return timezone.make_aware(datetime(month.year, month.month, 1))


def _member_months(first: date, months: int) -> QuerySet[Visit, dict[str, Any]]:
    """One row per member who visited in the `months` months from `first`:
    a0, a1, … count their visits in each month, and `before` says whether
    they visited before `first`. Month bounds are computed here (in the
    programme's time zone) so the database only compares timestamps."""
    bounds = [_month_start(_add_months(first, i)) for i in range(months + 1)]
    flags = {f"a{i}": Count("at", filter=Q(at__gte=bounds[i], at__lt=bounds[i + 1])) for i in range(months)}
    earlier = Visit.objects.filter(member=OuterRef("member"), at__lt=bounds[0])
    return (
        Visit.objects.filter(at__gte=bounds[0], at__lt=bounds[-1])
        .values("member")
        .annotate(before=Exists(earlier), **flags)
        .order_by()
    )


def _first_in(i: int) -> Q:
    """The member's first visit ever fell in month i of the window."""
    return Q(before=False, **{f"a{i}__gt": 0}, **{f"a{k}": 0 for k in range(i)})


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
    """The last `months` months, oldest first, the current month included.
    One query: per member, visits in each month (and the month before the
    first, for its returning and churned), counted in SQL."""
    this_month = _month(now or timezone.now())
    first = _add_months(this_month, -(months - 1))
    counts: dict[str, Count] = {}  # month i of the window is a{i + 1}: a0 is the month before
    for i in range(1, months + 1):
        now_in, before_in = Q(**{f"a{i}__gt": 0}), Q(**{f"a{i - 1}__gt": 0})
        counts |= {
            f"active{i}": Count("member", filter=now_in),
            f"new{i}": Count("member", filter=_first_in(i)),
            f"returning{i}": Count("member", filter=now_in & before_in),
            f"churned{i}": Count("member", filter=before_in & ~now_in),
        }
    row = _member_months(_add_months(first, -1), months + 1).aggregate(**counts)
    return [
        MonthActivity(
            month=_add_months(first, i - 1),
            active=row[f"active{i}"],
            new=row[f"new{i}"],
            returning=row[f"returning{i}"],
            churned=row[f"churned{i}"],
        )
        for i in range(1, months + 1)
    ]


@dataclass(frozen=True)
class Cohort:
    month: date
    size: int
    retained: list[float | None]  # share active in month +1, +2, …; None = not yet happened


def cohort_retention(*, months: int = 6, now: datetime | None = None) -> list[Cohort]:
    """Cohorts of the last `months` months by first-visit month, oldest first.
    One query: each cohort's size and its members active in each later month
    are conditional counts over one row per member."""
    this_month = _month(now or timezone.now())
    first = _add_months(this_month, -(months - 1))
    counts: dict[str, Count] = {}
    for i in range(months):
        counts[f"size{i}"] = Count("member", filter=_first_in(i))
        for later in range(i + 1, months):
            counts[f"kept{i}_{later}"] = Count("member", filter=_first_in(i) & Q(**{f"a{later}__gt": 0}))
    row = _member_months(first, months).aggregate(**counts)
    cohorts = []
    for i in range(months):
        size = row[f"size{i}"]
        # Months after the window's last (this month) have not happened yet.
        retained: list[float | None] = [
            row[f"kept{i}_{i + offset}"] / size if size and i + offset < months else None for offset in range(1, months)
        ]
        cohorts.append(Cohort(month=_add_months(first, i), size=size, retained=retained))
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
