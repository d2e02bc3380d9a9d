"""The one service that says how many points an order earns, and why.

Rounding rule: every rule computes exact extra points as a fraction; the total
is rounded down once, per order, after all multipliers; then the per-order and
per-day caps apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from fractions import Fraction

from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from campaigns.holdout import promotion_holds_out
from campaigns.models import EarnRule, Promotion, active_product_bonuses, active_promotions
from members.models import Member
from members.selectors import member_order_points_today, tier_multiplier_percent, tier_of


@dataclass(frozen=True)
class QuoteLine:
    product_sku: str
    category_slug: str
    quantity: int
    line_total: int


@dataclass
class PointsQuote:
    points: int
    explanation: list[str] = field(default_factory=list)
    promotions: dict[int, int] = field(default_factory=dict)  # promotion id → the extra points it gave


def share_promotion_points(given: int, values: dict[int, Fraction]) -> dict[int, int]:
    """Split the points promotions added to an order (after rounding and caps)
    between them in proportion to their exact values: each gets the whole
    points of its share, and what rounding leaves goes to the largest shares."""
    total = sum(values.values())
    if given <= 0 or total <= 0:
        return {}
    exact = {pk: given * value / total for pk, value in values.items()}
    shares = {pk: int(value) for pk, value in exact.items()}
    for pk in sorted(exact, key=lambda pk: (-(exact[pk] - shares[pk]), pk))[: given - sum(shares.values())]:
        shares[pk] += 1
    return {pk: points for pk, points in shares.items() if points}


def promotion_applies(promo: Promotion, *, at: datetime, store_slug: str | None, zone: tzinfo | None = None) -> bool:
    """Weekdays and hours are read on the store's clock (`zone`; the
    installation's when not given): a Wednesday member day is Wednesday where
    the member is standing."""
    local = timezone.localtime(at, zone)
    if not promo.is_active:
        return False
    if promo.starts_at and at < promo.starts_at or promo.ends_at and at >= promo.ends_at:
        return False
    if promo.weekdays and str(local.isoweekday()) not in promo.weekdays.replace(" ", "").split(","):
        return False
    if promo.start_time and local.time() < promo.start_time or promo.end_time and local.time() >= promo.end_time:
        return False
    stores = promo.stores
    return not stores or (store_slug is not None and store_slug in stores)


def points_quote(
    *,
    member: Member,
    lines: list[QuoteLine],
    total_paid: int,
    store_slug: str | None,
    at: datetime,
    order_points_today: int | None = None,
    zone: tzinfo | None = None,
) -> PointsQuote:
    """`order_points_today` (points already earned from orders today, for the
    daily cap) is read from the database unless the caller knows it. `zone`:
    the store's time zone, for promotions' weekdays and hours."""
    rule = EarnRule.current()
    explanation: list[str] = []
    base = Fraction(total_paid * rule.points_per_unit, rule.unit_amount)
    explanation.append(
        _("%(paid)s × %(points)s pt per %(unit)s = %(base)s")
        % {
            "paid": format_money(total_paid),
            "points": rule.points_per_unit,
            "unit": format_money(rule.unit_amount),
            "base": f"{float(base):g}",
        }
    )
    extra = Fraction(0)

    bonuses = active_product_bonuses()
    for line in lines:
        for bonus in bonuses:
            if (bonus.product_sku and bonus.product_sku == line.product_sku) or (
                bonus.category_slug and bonus.category_slug == line.category_slug and not bonus.product_sku
            ):
                line_base = Fraction(line.line_total * rule.points_per_unit, rule.unit_amount)
                add = line_base * (bonus.multiplier_percent - 100) / 100
                extra += add
                explanation.append(
                    _("%(bonus)s on %(item)s: +%(points)s")
                    % {"bonus": bonus, "item": line.product_sku or line.category_slug, "points": f"{float(add):g}"}
                )
                break

    tier_percent = tier_multiplier_percent(member=member)
    if tier_percent != 100:
        add = base * (tier_percent - 100) / 100
        extra += add
        explanation.append(f"{tier_of(member)} ×{tier_percent / 100:g}: +{float(add):g}")

    # A promotion's holdout members earn as if it did not exist (campaigns.holdout).
    applicable = [
        p
        for p in active_promotions()
        if promotion_applies(p, at=at, store_slug=store_slug, zone=zone)
        and not promotion_holds_out(promotion=p, member_id=member.pk)
    ]

    def value(promo: Promotion) -> Fraction:
        return base * (promo.multiplier_percent - 100) / 100 + promo.bonus_points

    exclusive = [p for p in applicable if not p.stackable]
    chosen = [max(exclusive, key=value)] if exclusive else []
    applied = {promo.pk: value(promo) for promo in chosen + [p for p in applicable if p.stackable]}
    for promo in chosen + [p for p in applicable if p.stackable]:
        extra += value(promo)
        explanation.append(f"{promo.name}: +{float(value(promo)):g}")
    for promo in exclusive:
        if promo not in chosen:
            explanation.append(_("%(promotion)s: not combined (the better offer applies)") % {"promotion": promo.name})

    points = int(base + extra)  # floor, once per order
    without_promotions = min(int(base + extra - sum(applied.values())), rule.max_points_per_order)
    if points > rule.max_points_per_order:
        explanation.append(_("Capped at %(points)s per order") % {"points": rule.max_points_per_order})
        points = rule.max_points_per_order
    if order_points_today is None:
        order_points_today = member_order_points_today(member=member, at=at)
    today = order_points_today
    room = max(rule.max_points_per_day - today, 0)
    if points > room:
        explanation.append(_("Capped at %(points)s per day") % {"points": rule.max_points_per_day})
        points = room
    explanation.append(_("Total %(points)s points (rounded down)") % {"points": points})
    given = points - max(min(without_promotions, room), 0)
    return PointsQuote(points=points, explanation=explanation, promotions=share_promotion_points(given, applied))
