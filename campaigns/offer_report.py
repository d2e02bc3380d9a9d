"""The offers report's figures: what each coupon template, campaign and points
promotion gave away, how much of it was used, and (where a holdout makes it
knowable) how many visits it brought that would not have happened anyway.

- Campaigns that entered anyone in the period, each over its whole life (the
  holdout comparison is made per campaign): coupons issued to the sent group,
  redeemed, discount cost; incremental visits = (the sent group's came-back
  rate − the holdout's) × members sent (campaigns.stats.incremental_visits,
  from campaigns.selectors' came-back rule, the uplift the retention report
  shows); cost per incremental visit = discount cost ÷ incremental visits.
  Without a holdout, or when the sent group did not come back more often, it
  cannot be known.
- Coupon templates: the coupons issued in the period; redeemed = of those,
  used so far; discount cost = what those used coupons took off orders.
  Incremental visits = the sum, over the campaigns shown that gave the
  template out, of (the came-back rate of the members sent it − the
  holdout's) × those members; cost per incremental visit = what those
  campaigns' coupons of the template took off orders ÷ them. Coupons issued
  outside campaigns (rewards, referrals, birthdays, by hand) have no holdout:
  the line counts them (`outside_campaigns`) instead of guessing their effect.
- Promotions: campaigns.offer_promotions (extra points, members offered and
  who earned it, and visits against the promotion's holdout).

A query may name one coupon template and/or one promotion (the links from
their lists): the report then keeps only those offers, and campaigns that
give out that template.

Constant queries, plus one per campaign shown for its holdout comparison.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from campaigns.models import Campaign, CampaignEntry, Coupon
from campaigns.offer_promotions import PromotionLine, promotion_lines
from campaigns.selectors import GroupResult, campaign_result_by_template
from campaigns.stats import cost_per_incremental_visit, incremental_visits
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
class OfferCounts:
    name: str
    issued: int
    redeemed: int
    discount: int  # minor units

    @property
    def redemption_rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None


@dataclass(frozen=True)
class CouponLine(OfferCounts):
    """A coupon template. Its incremental visits come from the campaigns shown
    that gave it out; coupons of it issued outside campaigns have no holdout."""

    outside_campaigns: int = 0  # of `issued`: not given out by a campaign
    incremental_visits: float | None = None  # None: no campaign of it had a holdout
    # What the coupons those campaigns gave out took off orders (over each
    # campaign's life, as its visits are counted): the cost the visits are set against.
    incremental_cost: int = 0

    @property
    def cost_per_incremental_visit(self) -> int | None:
        return cost_per_incremental_visit(cost=self.incremental_cost, incremental=self.incremental_visits)


@dataclass
class TemplateUplift:
    """A coupon template's share of the campaigns shown that had a holdout."""

    visits: float = 0.0
    cost: int = 0


@dataclass(frozen=True)
class CampaignLine(OfferCounts):
    sent: int  # members in the treatment group
    held_out: int  # members in the holdout group
    sent_back: int  # members of each group who came back within the conversion window
    held_out_back: int

    @property
    def sent_rate(self) -> float | None:
        return GroupResult(members=self.sent, converted=self.sent_back).rate

    @property
    def held_out_rate(self) -> float | None:
        return GroupResult(members=self.held_out, converted=self.held_out_back).rate

    @property
    def incremental_visits(self) -> float | None:
        """None without a holdout (or with no one sent): the campaign's effect cannot be known."""
        return incremental_visits(
            treated_members=self.sent,
            treated_visits=self.sent_back,
            holdout_members=self.held_out,
            holdout_visits=self.held_out_back,
        )

    @property
    def cost_per_incremental_visit(self) -> int | None:
        """None when there is no positive uplift to divide by."""
        return cost_per_incremental_visit(cost=self.discount, incremental=self.incremental_visits)


@dataclass(frozen=True)
class OffersReport:
    query: OffersQuery
    point_value: int
    coupons: list[CouponLine]
    campaigns: list[CampaignLine]
    promotions: list[PromotionLine]


def _coupon_lines(
    query: OffersQuery, first: datetime, after: datetime, from_campaigns: dict[int, TemplateUplift]
) -> list[CouponLine]:
    """`from_campaigns`: each template's incremental visits and their cost, from the campaigns shown."""
    coupons = Coupon.objects.filter(issued_at__gte=first, issued_at__lt=after)
    if query.template_id is not None:
        coupons = coupons.filter(template_id=query.template_id)
    by_campaign = Exists(CampaignEntry.objects.filter(coupon=OuterRef("pk")))
    return [
        CouponLine(
            row["template__name"],
            row["issued"],
            row["redeemed"],
            int(row["discount"]),
            outside_campaigns=row["outside"],
            incremental_visits=uplift.visits if (uplift := from_campaigns.get(row["template"])) else None,
            incremental_cost=uplift.cost if uplift else 0,
        )
        for row in coupons.values("template", "template__name")
        .annotate(
            issued=Count("pk"),
            redeemed=Count("pk", filter=Q(redeemed_at__isnull=False)),
            discount=Sum("discount", default=0),
            outside=Count("pk", filter=~Q(by_campaign)),
        )
        .order_by("-issued", "template__name")
    ]


def _campaigns_run(query: OffersQuery, first: datetime, after: datetime) -> list[Campaign]:
    ran = Campaign.objects.filter(entries__entered_at__gte=first, entries__entered_at__lt=after)
    if query.template_id is not None:
        template = query.template_id
        ran = ran.filter(Q(coupon_template_id=template) | Q(variants__coupon_template_id=template))
    return list(ran.distinct().order_by("-created_at")[:CAMPAIGNS_SHOWN])


def _campaign_lines(campaigns: list[Campaign]) -> tuple[list[CampaignLine], dict[int, TemplateUplift]]:
    """Each campaign's line, and each coupon template's incremental visits
    and their cost summed over the campaigns that gave it out (per template:
    the members sent it against the campaign's holdout, and what its coupons
    from that campaign took off; nothing from a campaign without a holdout)."""
    issued: defaultdict[int, Counter[str]] = defaultdict(Counter)
    discount_of: dict[tuple[int, int], int] = {}
    for row in (
        CampaignEntry.objects.filter(campaign__in=campaigns, coupon__isnull=False)
        .values("campaign", "coupon__template")
        .annotate(
            issued=Count("coupon"),
            redeemed=Count("coupon", filter=Q(coupon__redeemed_at__isnull=False)),
            discount=Sum("coupon__discount", default=0),
        )
        .order_by()
    ):
        issued[row["campaign"]].update({key: int(row[key]) for key in ("issued", "redeemed", "discount")})
        discount_of[row["campaign"], row["coupon__template"]] = int(row["discount"])
    lines: list[CampaignLine] = []
    by_template: defaultdict[int, TemplateUplift] = defaultdict(TemplateUplift)
    for campaign in campaigns:
        row = issued[campaign.pk]
        result, sent_by_template = campaign_result_by_template(campaign=campaign)
        treated, holdout = result.treatment, result.holdout
        lines.append(
            CampaignLine(
                name=campaign.name,
                issued=row["issued"],
                redeemed=row["redeemed"],
                discount=row["discount"],
                sent=treated.members,
                held_out=holdout.members,
                sent_back=treated.converted,
                held_out_back=holdout.converted,
            )
        )
        for template_id, sent in sent_by_template.items():
            extra = incremental_visits(
                treated_members=sent.members,
                treated_visits=sent.converted,
                holdout_members=holdout.members,
                holdout_visits=holdout.converted,
            )
            if extra is not None:
                by_template[template_id].visits += extra
                by_template[template_id].cost += discount_of.get((campaign.pk, template_id), 0)
    return lines, by_template


def offers_report(*, query: OffersQuery) -> OffersReport:
    """Eight queries and one per campaign shown (fewer when filtered)."""
    first, after = query.window
    campaigns = _campaigns_run(query, first, after) if query.shows_coupons else []
    campaign_lines, from_campaigns = _campaign_lines(campaigns) if campaigns else ([], {})
    coupons = _coupon_lines(query, first, after, from_campaigns) if query.shows_coupons else []
    point_value = PointsPolicy.current().point_value
    promotions = (
        promotion_lines(first=first, after=after, point_value=point_value, promotion_id=query.promotion_id)
        if query.shows_promotions
        else []
    )
    return OffersReport(query, point_value, coupons, campaign_lines, promotions)
