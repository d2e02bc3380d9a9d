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
their store conditions) and their visits in the period. Both counts run in
the database, the holdout hashed there (OfferBucket): at 100,000 members
three promotions with a holdout took 0.44 s on PostgreSQL (1.1–1.3 s when
every member was read into Python and hashed there); each one more adds
about a seventh of a second at that size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.db.models.lookups import GreaterThanOrEqual

from campaigns.holdout import OfferBucket, promotion_offer
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


def _group_conditions(promotion: Promotion, window: tuple[datetime, datetime], *, member: str) -> tuple[Q, Q]:
    """(everyone it was for, those of them offered it) as conditions on the
    member the field `member` names ("" on Member itself, "member" on a
    visit): joined before the promotion's period here ended and one it was
    for; offered: not in its holdout. The held out are the difference, so
    each member's bucket is hashed once."""
    prefix = member and f"{member}__"
    member_id = f"{member}_id" if member else "pk"
    everyone = Q(**{f"{prefix}created_at__lt": window[1], f"{prefix}anonymised_at__isnull": True})
    visited = promotion_store_visited(promotion, member=member_id)
    if visited is not None:
        everyone &= Q(visited)
    if not promotion.holdout_percent:
        return everyone, everyone
    bucket = OfferBucket(promotion_offer(promotion), member_id)
    return everyone, everyone & Q(GreaterThanOrEqual(bucket, promotion.holdout_percent))


def _groups(
    lines: dict[int, PromotionLine], promotions: dict[int, Promotion], first: datetime, after: datetime
) -> None:
    """Fill in each line's members offered and held out, and their visits:
    two aggregate queries for all promotions, the holdout drawn in SQL
    (OfferBucket), so no member row comes into Python."""
    windows = {pk: w for pk, promo in promotions.items() if (w := _window(promo, first, after)) is not None}
    if not windows:
        return
    members: dict[str, Count] = {}
    visits: dict[str, Count] = {}
    for pk, window in windows.items():
        everyone, offered = _group_conditions(promotions[pk], window, member="")
        members |= {f"e{pk}": Count("pk", filter=everyone), f"o{pk}": Count("pk", filter=offered)}
        everyone, offered = _group_conditions(promotions[pk], window, member="member")
        in_window = Q(at__gte=window[0], at__lt=window[1])
        visits |= {
            f"e{pk}": Count("pk", filter=in_window & everyone),
            f"o{pk}": Count("pk", filter=in_window & offered),
        }
    counted = Member.objects.aggregate(**members)
    low, high = min(w[0] for w in windows.values()), max(w[1] for w in windows.values())
    visited = Visit.objects.filter(at__gte=low, at__lt=high).aggregate(**visits)
    for pk in windows:
        line = lines[pk]
        line.offered, line.held_out = counted[f"o{pk}"], counted[f"e{pk}"] - counted[f"o{pk}"]
        line.offered_visits, line.held_out_visits = visited[f"o{pk}"], visited[f"e{pk}"] - visited[f"o{pk}"]


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
