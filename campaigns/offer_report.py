"""The offers report's figures: what each coupon template, campaign and points
promotion gave away, how much of it was used, and (where a holdout makes it
knowable) how many visits it brought that would not have happened anyway.

- Coupon templates: the coupons issued in the period; redeemed = of those,
  used so far; discount cost = what those used coupons took off orders.
- Campaigns that entered anyone in the period, each over its whole life (the
  holdout comparison is made per campaign): coupons issued to the sent group,
  redeemed, discount cost; incremental visits = (the sent group's came-back
  rate − the holdout's) × members sent, from campaigns.selectors.
  campaign_result (the uplift the retention report shows); cost per
  incremental visit = discount cost ÷ incremental visits. Without a holdout,
  or when the sent group did not come back more often, it cannot be known.
- Promotions: the orders paid in the period that a promotion added points to,
  and those extra points (campaigns.models.PromotionAward, recorded when the
  order earned them, before any refund). Their cost is the points valued at
  the programme's value of a point (PointsPolicy.point_value, as in the
  liability report). Promotions issue nothing to redeem and have no holdout.

A query may name one coupon template and/or one promotion (the links from
their lists): the report then keeps only those offers, and campaigns that
give out that template.

Aggregate queries, plus one per campaign shown for its holdout comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from campaigns.models import Campaign, CampaignEntry, Coupon, PromotionAward
from campaigns.selectors import campaign_result
from members.models import PointsPolicy

CAMPAIGNS_SHOWN = 20  # newest first; each costs one query


@dataclass(frozen=True)
class OffersQuery:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    template_id: int | None = None  # only this coupon template (and campaigns giving it out)
    promotion_id: int | None = None  # only this promotion

    @property
    def shows_coupons(self) -> bool:
        """Coupons and campaigns, unless the query names only a promotion."""
        return self.promotion_id is None or self.template_id is not None

    @property
    def shows_promotions(self) -> bool:
        return self.template_id is None or self.promotion_id is not None

    @property
    def window(self) -> tuple[datetime, datetime]:
        tz = timezone.get_default_timezone()
        first = timezone.make_aware(datetime(self.start.year, self.start.month, self.start.day), tz)
        after = timezone.make_aware(datetime(self.end.year, self.end.month, self.end.day), tz) + timedelta(days=1)
        return first, after


@dataclass(frozen=True)
class CouponLine:
    name: str
    issued: int
    redeemed: int
    discount: int  # minor units

    @property
    def redemption_rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None


@dataclass(frozen=True)
class CampaignLine(CouponLine):
    sent: int  # members in the treatment group
    held_out: int  # members in the holdout group
    sent_rate: float | None  # came back within the conversion window
    held_out_rate: float | None

    @property
    def incremental_visits(self) -> float | None:
        """None without a holdout (or with no one sent): the campaign's effect cannot be known."""
        if self.sent_rate is None or self.held_out_rate is None:
            return None
        return (self.sent_rate - self.held_out_rate) * self.sent

    @property
    def cost_per_incremental_visit(self) -> int | None:
        """None when there is no positive uplift to divide by."""
        extra = self.incremental_visits
        return round(self.discount / extra) if extra is not None and extra > 0 else None


@dataclass(frozen=True)
class PromotionLine:
    name: str
    orders: int
    points: int
    cost: int  # points × point value, minor units


@dataclass(frozen=True)
class OffersReport:
    query: OffersQuery
    point_value: int
    coupons: list[CouponLine]
    campaigns: list[CampaignLine]
    promotions: list[PromotionLine]


def _coupon_sums() -> dict:
    return {
        "issued": Count("pk"),
        "redeemed": Count("pk", filter=Q(redeemed_at__isnull=False)),
        "discount": Sum("discount", default=0),
    }


def _coupon_lines(query: OffersQuery, first: datetime, after: datetime) -> list[CouponLine]:
    coupons = Coupon.objects.filter(issued_at__gte=first, issued_at__lt=after)
    if query.template_id is not None:
        coupons = coupons.filter(template_id=query.template_id)
    return [
        CouponLine(row["template__name"], row["issued"], row["redeemed"], int(row["discount"]))
        for row in coupons.values("template", "template__name")
        .annotate(**_coupon_sums())
        .order_by("-issued", "template__name")
    ]


def _campaigns_run(query: OffersQuery, first: datetime, after: datetime) -> list[Campaign]:
    ran = Campaign.objects.filter(entries__entered_at__gte=first, entries__entered_at__lt=after)
    if query.template_id is not None:
        template = query.template_id
        ran = ran.filter(Q(coupon_template_id=template) | Q(variants__coupon_template_id=template))
    return list(ran.distinct().order_by("-created_at")[:CAMPAIGNS_SHOWN])


def offers_report(*, query: OffersQuery) -> OffersReport:
    """Four queries and one per campaign shown (fewer when filtered to a promotion)."""
    first, after = query.window
    coupons = _coupon_lines(query, first, after) if query.shows_coupons else []
    campaigns = _campaigns_run(query, first, after) if query.shows_coupons else []
    issued = {
        row["campaign"]: row
        for row in CampaignEntry.objects.filter(campaign__in=campaigns, coupon__isnull=False)
        .values("campaign")
        .annotate(
            issued=Count("coupon"),
            redeemed=Count("coupon", filter=Q(coupon__redeemed_at__isnull=False)),
            discount=Sum("coupon__discount", default=0),
        )
        .order_by()
    }
    campaign_lines = []
    for campaign in campaigns:
        row = issued.get(campaign.pk, {})
        result = campaign_result(campaign=campaign)
        campaign_lines.append(
            CampaignLine(
                name=campaign.name,
                issued=row.get("issued", 0),
                redeemed=row.get("redeemed", 0),
                discount=int(row.get("discount", 0)),
                sent=result.treatment.members,
                held_out=result.holdout.members,
                sent_rate=result.treatment.rate,
                held_out_rate=result.holdout.rate,
            )
        )
    point_value = PointsPolicy.current().point_value
    awards = PromotionAward.objects.filter(awarded_at__gte=first, awarded_at__lt=after)
    if query.promotion_id is not None:
        awards = awards.filter(promotion_id=query.promotion_id)
    promotions = (
        [
            PromotionLine(row["promotion__name"], row["orders"], int(row["points"]), int(row["points"]) * point_value)
            for row in awards.values("promotion", "promotion__name")
            .annotate(orders=Count("reference", distinct=True), points=Sum("points"))
            .order_by("-points", "promotion")
        ]
        if query.shows_promotions
        else []
    )
    return OffersReport(query, point_value, coupons, campaign_lines, promotions)
