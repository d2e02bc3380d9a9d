"""The offers report's points promotions (campaigns.offer_report): what each
gave, to whom, and — where it has a holdout — the visits it brought.

For each promotion that gave points in the report's period:

- Its period here: the report's period within the promotion's own dates.
- Members offered: the members it was for (everyone; for a promotion at some
  stores, members who have visited one of them, as campaigns.reminders.
  promotion_members says) who had joined by the end of its period here,
  less its holdout (campaigns.holdout). The whole group, not only those who
  came in: the holdout is the same kind of group, so the two compare like
  with like.
- Earned it (its "redeemed"): the members it gave extra points to in the
  period (PromotionAward); its rate = earned it ÷ members offered.
- Cost: the extra points valued at the programme's value of a point.
- Visits: every visit of the group's members in its period here, on any day,
  hour or store, so a visit merely moved to the promotion's day is not extra.
- Incremental visits: (offered members' visits per member − the holdout's
  visits per member) × members offered, campaigns.stats.incremental_visits as
  for campaigns; cost per incremental visit = cost ÷ them. A promotion
  without a holdout (0 %) cannot tell: it says so instead of a figure.

The groups are drawn with the promotion's holdout % as it is now. Four
queries for all promotions: the awards, the promotions, the members (with
their store conditions) and their visits in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum

from campaigns.holdout import promotion_holds_out
from campaigns.models import Promotion, PromotionAward
from campaigns.reminders import promotion_store_visited
from campaigns.stats import cost_per_incremental_visit, incremental_visits
from members.models import Member, Visit


@dataclass
class PromotionLine:
    name: str
    orders: int
    points: int
    cost: int  # points × point value, minor units
    earned: int = 0  # members it gave points to in the period
    holdout_percent: int = 0
    offered: int = 0  # members offered: its members less the holdout
    offered_visits: int = 0
    held_out: int = 0
    held_out_visits: int = 0

    @property
    def redemption_rate(self) -> float | None:
        return self.earned / self.offered if self.offered else None

    @property
    def has_holdout(self) -> bool:
        return self.holdout_percent > 0

    @property
    def visits_per_member(self) -> float | None:
        return self.offered_visits / self.offered if self.offered else None

    @property
    def held_out_visits_per_member(self) -> float | None:
        return self.held_out_visits / self.held_out if self.held_out else None

    @property
    def incremental_visits(self) -> float | None:
        if not self.has_holdout:
            return None
        return incremental_visits(
            treated_members=self.offered,
            treated_visits=self.offered_visits,
            holdout_members=self.held_out,
            holdout_visits=self.held_out_visits,
        )

    @property
    def cost_per_incremental_visit(self) -> int | None:
        return cost_per_incremental_visit(cost=self.cost, incremental=self.incremental_visits)


def _window(promotion: Promotion, first: datetime, after: datetime) -> tuple[datetime, datetime] | None:
    """The report's period within the promotion's dates; None when they do not meet."""
    low = max(first, promotion.starts_at) if promotion.starts_at else first
    high = min(after, promotion.ends_at) if promotion.ends_at else after
    return (low, high) if low < high else None


def _groups(
    lines: dict[int, PromotionLine], promotions: dict[int, Promotion], first: datetime, after: datetime
) -> None:
    """Fill in each line's members offered and held out, and their visits."""
    windows = {pk: w for pk, promo in promotions.items() if (w := _window(promo, first, after)) is not None}
    if not windows:
        return
    stores = {pk: visited for pk in windows if (visited := promotion_store_visited(promotions[pk])) is not None}
    members = (
        Member.objects.filter(anonymised_at__isnull=True, created_at__lt=max(high for _low, high in windows.values()))
        .annotate(**{f"s{pk}": visited for pk, visited in stores.items()})
        .values_list("pk", "created_at", *(f"s{pk}" for pk in stores))
    )
    visits = {
        row[0]: dict(zip(windows, row[1:], strict=True))
        for row in Visit.objects.filter(
            at__gte=min(low for low, _high in windows.values()), at__lt=max(high for _low, high in windows.values())
        )
        .values("member")
        .annotate(**{f"v{pk}": Count("pk", filter=Q(at__gte=low, at__lt=high)) for pk, (low, high) in windows.items()})
        .values_list("member", *(f"v{pk}" for pk in windows))
    }
    for member_id, joined, *at_stores in members.iterator(chunk_size=2000):
        at_a_store = dict(zip(stores, at_stores, strict=True))
        counted = visits.get(member_id, {})
        for pk, (_low, high) in windows.items():
            if joined >= high or not at_a_store.get(pk, True):
                continue
            line = lines[pk]
            if promotion_holds_out(promotion=promotions[pk], member_id=member_id):
                line.held_out += 1
                line.held_out_visits += counted.get(pk, 0)
            else:
                line.offered += 1
                line.offered_visits += counted.get(pk, 0)


def promotion_lines(
    *, first: datetime, after: datetime, point_value: int, promotion_id: int | None
) -> list[PromotionLine]:
    """The promotions that gave points in [first, after), most points first."""
    awards = PromotionAward.objects.filter(awarded_at__gte=first, awarded_at__lt=after)
    if promotion_id is not None:
        awards = awards.filter(promotion_id=promotion_id)
    rows = list(
        awards.values("promotion", "promotion__name")
        .annotate(orders=Count("reference", distinct=True), points=Sum("points"), earned=Count("member", distinct=True))
        .order_by("-points", "promotion")
    )
    if not rows:
        return []
    promotions = Promotion.objects.in_bulk([row["promotion"] for row in rows])
    lines = {
        row["promotion"]: PromotionLine(
            name=row["promotion__name"],
            orders=row["orders"],
            points=int(row["points"]),
            cost=int(row["points"]) * point_value,
            earned=row["earned"],
            holdout_percent=promotions[row["promotion"]].holdout_percent,
        )
        for row in rows
    }
    _groups(lines, promotions, first, after)
    return list(lines.values())
