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

The groups are drawn with the promotion's holdout % as it is now. Three
queries for all promotions: the awards, the promotions, and one statement
counting every member's group and visits (`_groups`), with the holdout
hashed in the database (campaigns.holdout.promotion_offered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum

from cafe_loyalty.core.report_sql import compiled, report_cursor
from campaigns.holdout import promotion_offered
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
    """Fill in each line's members offered and held out, and their visits, in
    one statement for all promotions, so the work grows with the members and
    the period's visits, not with their product: each member's visits in each
    window counted once (grouped by member), and once per promotion each
    member's place in it — one it was for (joined before its period here
    ended, at one of its stores if it has any: campaigns.reminders), and if
    so offered it or held out (campaigns.holdout, hashed in the database)."""
    windows = {pk: w for pk, promo in promotions.items() if (w := _window(promo, first, after)) is not None}
    if not windows:
        return
    low, high = min(w[0] for w in windows.values()), max(w[1] for w in windows.values())
    visits = (
        Visit.objects.filter(at__gte=low, at__lt=high)
        .values("member_id")
        .annotate(**{f"v{pk}": Count("pk", filter=Q(at__gte=w[0], at__lt=w[1])) for pk, w in windows.items()})
        .order_by()
    )
    places: dict[str, ExpressionWrapper] = {}
    for pk, (_low, end) in windows.items():
        promotion = promotions[pk]
        everyone = Q(created_at__lt=end)
        if (visited := promotion_store_visited(promotion)) is not None:
            everyone &= Q(visited)
        places |= {
            f"e{pk}": ExpressionWrapper(everyone, BooleanField()),
            f"o{pk}": ExpressionWrapper(promotion_offered(promotion), BooleanField()),
        }
    members = Member.objects.filter(anonymised_at__isnull=True).values("id").annotate(**places).order_by()
    (visits_sql, visits_params), (members_sql, members_params) = compiled(visits), compiled(members)
    totals = ", ".join(
        f"count(*) FILTER (WHERE e{pk}), count(*) FILTER (WHERE e{pk} AND o{pk}),"
        f" coalesce(sum(v{pk}) FILTER (WHERE e{pk}), 0), coalesce(sum(v{pk}) FILTER (WHERE e{pk} AND o{pk}), 0)"
        for pk in windows
    )
    # Materialised: inlined, the database computed each member's place once
    # per FILTER that reads it (a store probe four times over). Only the ORM's
    # own SQL and integer names are formatted in (hence noqa: S608).
    sql = (
        f"WITH per_member AS ({visits_sql}), grouped AS MATERIALIZED ({members_sql})"  # noqa: S608
        f" SELECT {totals} FROM grouped g LEFT JOIN per_member v ON v.member_id = g.id"
    )
    with report_cursor() as cursor:
        cursor.execute(sql, [*visits_params, *members_params])
        row = cursor.fetchone()
    for index, pk in enumerate(windows):
        members_n, offered_n, visits_n, offered_visits = (int(n) for n in row[4 * index : 4 * index + 4])
        line = lines[pk]
        line.offered, line.held_out = offered_n, members_n - offered_n
        line.offered_visits, line.held_out_visits = offered_visits, visits_n - offered_visits


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
