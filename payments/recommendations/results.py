"""Do recommendations work? Members who are shown them against the holdout,
who are picked the same way but shown nothing.

For each item first recommended to a member ("you may like") at least
FOLLOW ago: did the member buy it within FOLLOW after? Exposure is
"computed and eligible" (the night the job first picked it), the same for
both groups, so the comparison is fair; the shown group saw it only if they
opened the portal, the order-ahead menu or came to the till, which makes
the difference an honest, if modest, measure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q

from payments.models import Order, OrderLine, ProductPair, RecommendationExposure, RecommendationRun

FOLLOW = timedelta(days=14)


@dataclass(frozen=True)
class GroupResult:
    members: int
    recommendations: int
    bought: int  # recommendations bought within FOLLOW
    members_bought: int  # members who bought at least one

    @property
    def rate(self) -> float | None:
        return self.bought / self.recommendations if self.recommendations else None

    @property
    def member_rate(self) -> float | None:
        return self.members_bought / self.members if self.members else None


@dataclass(frozen=True)
class RecommendationResults:
    shown: GroupResult
    holdout: GroupResult
    until: datetime  # exposures up to here have had their full FOLLOW
    last_run: RecommendationRun | None

    @property
    def uplift_points(self) -> float | None:
        """Shown minus holdout share of recommendations bought, in percentage points."""
        if self.shown.rate is None or self.holdout.rate is None:
            return None
        return (self.shown.rate - self.holdout.rate) * 100


def recommendation_results(*, now: datetime) -> RecommendationResults:
    """Three queries whatever the number of members."""
    until = now - FOLLOW
    bought = OrderLine.objects.filter(
        order__member=OuterRef("member"),
        product=OuterRef("product"),
        order__status=Order.Status.PAID,
        order__paid_at__gt=OuterRef("since"),
        order__paid_at__lte=OuterRef("since") + FOLLOW,
    )
    rows = (
        RecommendationExposure.objects.filter(since__lte=until)
        .annotate(bought=Exists(bought))
        .values("holdout")
        .annotate(
            members=Count("member", distinct=True),
            recommendations=Count("pk"),
            bought_n=Count("pk", filter=Q(bought=True)),
            members_bought=Count("member", distinct=True, filter=Q(bought=True)),
        )
        .order_by("holdout")
    )
    groups = {
        row["holdout"]: GroupResult(row["members"], row["recommendations"], row["bought_n"], row["members_bought"])
        for row in rows
    }
    empty = GroupResult(0, 0, 0, 0)
    return RecommendationResults(
        shown=groups.get(False, empty),
        holdout=groups.get(True, empty),
        until=until,
        last_run=RecommendationRun.objects.first(),
    )


def top_pairs(*, limit: int = 15) -> list[ProductPair]:
    """The pairs of items that go together most (highest lift), each pair once."""
    pairs = ProductPair.objects.filter(product_id__lt=F("other_id")).select_related("product", "other")
    return list(pairs.order_by("-lift", "product_id", "other_id")[:limit])
