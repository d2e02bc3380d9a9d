"""The reward catalogue's redemption rate: what a point is worth when members
actually use it, and the points liability valued at it (issue #17, item 4).

The points policy's point value says what one point takes off a bill at the
till. Members also turn points into reward coupons, worth more or less per
point than that, so the accountant's value of the points outstanding is the
rate at which members really redeem them:

- From history, over the last 12 months (this month and the eleven before):
  (discounts given by reward coupons used + points paid at the till × point
  value) ÷ (points spent on those coupons + points paid at the till). A reward
  coupon counts once used (its discount is known); one not yet used is left
  out, and so are its points. Points paid at the till are the settled points
  tenders (a refund gives points back but does not change what they were
  worth).
- With no such history, the catalogue's list value: for each active reward,
  its coupon's value ÷ its points cost, averaged over the rewards whose coupon
  value is known (campaigns.coupons.coupon_list_value, by the till's own
  discount rule: an amount off its amount; a free item or a percentage off
  one product, its discount on that product; a coupon for a category, the
  whole order, or "buy X get Y" is worth what is bought, unknown beforehand,
  so it is left out).
- With neither, the point value.

Arithmetic is exact: money in minor units, the rate a Fraction of minor units
per point. A money figure is rounded once, at the end, half up (half a cent
up). The months of expiry are rounded so they add up to the rounded total
(each month is the rounded running total less the one before it: within a
minor unit of its exact value, and the column sums to the total).

Four queries, whatever the number of rewards or coupons (the points policy is
cached). Only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from math import floor

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from cafe_loyalty.core.clock import add_months, month_of, month_start
from campaigns.coupons import coupon_list_value
from campaigns.models import Coupon, CouponTemplate, Reward
from members.models import PointsEntry, PointsPolicy
from payments.models import Product, Tender
from payments.selectors.liability import ExpiryMonth, PointsLiability

WINDOW_MONTHS = 12
REWARD = "reward"  # Coupon.source of a coupon bought with points (campaigns.rewards.reward_redeem)


class Basis:
    HISTORY = "history"
    CATALOGUE = "catalogue"
    POINT_VALUE = "point_value"


def round_half_up(value: Fraction) -> int:
    """To the nearest whole minor unit, a half going up (the figures are never negative)."""
    return floor(value + Fraction(1, 2))


def _price_of_scoped_product(template_field: str) -> Subquery:
    return Subquery(Product.objects.filter(sku=OuterRef(template_field)).exclude(sku="").values("price")[:1])


@dataclass(frozen=True)
class RewardValue:
    name: str
    points_cost: int
    coupon_value: int | None  # minor units; None: depends on what is bought
    redemptions: int  # taken for points in the window (counted by the reward's coupon template)

    @property
    def per_point(self) -> Fraction | None:
        if self.coupon_value is None or self.points_cost <= 0:
            return None
        return Fraction(self.coupon_value, self.points_cost)

    @property
    def per_100_points(self) -> int | None:
        rate = self.per_point
        return None if rate is None else round_half_up(100 * rate)


@dataclass(frozen=True)
class RedemptionRate:
    rate: Fraction  # minor units per point
    basis: str  # Basis.*
    point_value: int  # the till's, minor units per point
    since: datetime  # start of the history window
    rewards: list[RewardValue]  # the active catalogue, cheapest first
    coupon_points: int  # history: points spent on reward coupons since used
    coupon_discount: int  # history: what those coupons took off bills
    coupons_used: int
    till_points: int  # history: points paid at the till

    def value(self, points: int) -> int:
        return round_half_up(points * self.rate)

    @property
    def per_100_points(self) -> int:
        return self.value(100)

    @property
    def history_points(self) -> int:
        return self.coupon_points + self.till_points

    @property
    def history_value(self) -> int:
        return self.coupon_discount + self.till_points * self.point_value

    @property
    def valued_rewards(self) -> int:
        return sum(1 for reward in self.rewards if reward.per_point is not None)


def _history(since: datetime) -> tuple[int, int, int, int]:
    """(coupons used, their points, their discount, points paid at the till) since `since`. Two queries."""
    spent = PointsEntry.objects.filter(
        kind=PointsEntry.Kind.SPEND, reference=Concat(Value("coupon:"), OuterRef("code"))
    ).values("points")[:1]
    coupons = (
        Coupon.objects.filter(source=REWARD, issued_at__gte=since, redeemed_at__isnull=False)
        .annotate(spent=Subquery(spent, output_field=IntegerField()))
        .filter(spent__isnull=False)  # a reward coupon given some other way cost no points
        .aggregate(count=Count("pk"), points=Sum("spent", default=0), discount=Sum("discount", default=0))
    )
    till = Tender.objects.filter(
        kind=Tender.Kind.POINTS, status=Tender.Status.SETTLED, created_at__gte=since
    ).aggregate(points=Sum("points_used", default=0))
    # Entries of a spend are negative.
    return int(coupons["count"]), -int(coupons["points"]), int(coupons["discount"]), int(till["points"])


def _catalogue(since: datetime) -> list[RewardValue]:
    """The active rewards with their coupon's list value and redemptions since `since`. One query."""
    taken = (
        Coupon.objects.filter(template=OuterRef("template"), source=REWARD, issued_at__gte=since)
        .order_by()
        .values("template")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rewards = (
        Reward.objects.filter(is_active=True, template__is_active=True)
        .select_related("template")
        .annotate(price=_price_of_scoped_product("template__scope_sku"), taken=Coalesce(Subquery(taken), 0))
        .order_by("points_cost", "pk")
    )
    return [
        RewardValue(
            name=reward.name,
            points_cost=reward.points_cost,
            coupon_value=coupon_list_value(reward.template, price=reward.price),
            redemptions=int(reward.taken),
        )
        for reward in rewards
    ]


def redemption_rate(*, now: datetime | None = None) -> RedemptionRate:
    """The rate and the basis it stands on (see the module's docstring). Three queries."""
    now = now or timezone.now()
    point_value = PointsPolicy.current().point_value
    since = month_start(add_months(month_of(now), -(WINDOW_MONTHS - 1)))
    used, coupon_points, discount, till_points = _history(since)
    rewards = _catalogue(since)
    known = [reward.per_point for reward in rewards if reward.per_point is not None]
    if coupon_points + till_points > 0:
        rate, basis = (
            Fraction(discount + till_points * point_value, coupon_points + till_points),
            Basis.HISTORY,
        )
    elif known:
        rate, basis = sum(known, Fraction(0)) / len(known), Basis.CATALOGUE
    else:
        rate, basis = Fraction(point_value), Basis.POINT_VALUE
    return RedemptionRate(rate, basis, point_value, since, rewards, coupon_points, discount, used, till_points)


# --- The liability at that rate --------------------------------------------------------


@dataclass(frozen=True)
class UnusedRewardCoupons:
    """Reward coupons members hold, not yet used and not expired: owed too."""

    count: int
    value: int  # of those whose value is known, minor units
    unknown: int  # how many are worth what is bought (left out of `value`)


@dataclass(frozen=True)
class ExpiryValue:
    month: ExpiryMonth
    at_rate: int  # minor units


@dataclass(frozen=True)
class CatalogueValuation:
    rate: RedemptionRate
    by_expiry: list[ExpiryValue]
    value: int  # all outstanding points at the rate
    expected_breakage_value: int
    coupons: UnusedRewardCoupons

    @property
    def total(self) -> int:
        """Outstanding points at the rate and the reward coupons not yet used."""
        return self.value + self.coupons.value


def unused_reward_coupons(*, now: datetime) -> UnusedRewardCoupons:
    """One query: per coupon template, its reward coupons still usable."""
    usable = (
        Coupon.objects.filter(template=OuterRef("pk"), source=REWARD, redeemed_at__isnull=True, expires_at__gt=now)
        .order_by()
        .values("template")
        .annotate(n=Count("pk"))
        .values("n")
    )
    templates = (
        CouponTemplate.objects.filter(is_active=True)  # an inactive template's coupons are refused at the till
        .annotate(usable=Subquery(usable), price=_price_of_scoped_product("scope_sku"))
        .filter(usable__gt=0)
        .only("kind", "amount_off", "percent_off", "scope_sku", "scope_category")
    )
    count = value = unknown = 0
    for template in templates:
        each = coupon_list_value(template, price=template.price)
        count += template.usable
        if each is None:
            unknown += template.usable
        else:
            value += each * template.usable
    return UnusedRewardCoupons(count, value, unknown)


def points_at_redemption_rate(points: PointsLiability, *, now: datetime | None = None) -> CatalogueValuation:
    """`points` (payments.selectors.liability) valued at the redemption rate,
    with the reward coupons not yet used. Four queries."""
    now = now or timezone.now()
    rate = redemption_rate(now=now)
    rows, running, before = [], 0, 0
    for month in points.by_expiry:
        running += month.points
        rounded = rate.value(running)  # the running total, rounded once: the months add up to the total
        rows.append(ExpiryValue(month, rounded - before))
        before = rounded
    return CatalogueValuation(
        rate=rate,
        by_expiry=rows,
        value=rate.value(points.outstanding),
        expected_breakage_value=rate.value(points.expected_breakage),
        coupons=unused_reward_coupons(now=now),
    )
