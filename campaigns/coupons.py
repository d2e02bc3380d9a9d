"""Coupons: issue, evaluate against an order, redeem once (under a row lock)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from campaigns.earning import QuoteLine
from campaigns.exceptions import CouponExpired, CouponInvalid, CouponNotApplicable, CouponNotStackable, CouponUsed
from campaigns.models import Coupon, CouponTemplate
from campaigns.selectors import coupon_by_code, coupon_templates_for_codes
from members.models import Member
from members.notices import notice_send, notice_text

# No 0/O or 1/I: codes are read aloud and typed at the till.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_coupon_code() -> str:
    return "C" + "".join(secrets.choice(ALPHABET) for _ in range(9))


def coupon_issue(*, member: Member, template: CouponTemplate, source: str, now: datetime | None = None) -> Coupon:
    now = now or timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(
                    template=template,
                    member=member,
                    code=new_coupon_code(),
                    source=source,
                    issued_at=now,
                    expires_at=now + timedelta(days=template.valid_days),
                )
                notice_send(
                    member=member,
                    kind="offer",
                    title=notice_text(gettext_noop("New coupon: %(offer)s"), offer=template.name),
                    link="/offers/",
                )
                return coupon
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique coupon code")


@dataclass(frozen=True)
class CouponDiscount:
    code: str
    amount: int
    description: str
    stackable: bool


def _eligible_lines(template: CouponTemplate, lines: list[QuoteLine]) -> list[QuoteLine]:
    return [
        line
        for line in lines
        if (not template.scope_sku or line.product_sku == template.scope_sku)
        and (not template.scope_category or line.category_slug == template.scope_category)
    ]


def _discount(template: CouponTemplate, lines: list[QuoteLine], subtotal: int) -> int:
    eligible = _eligible_lines(template, lines)
    scoped = bool(template.scope_sku or template.scope_category)
    base = sum(line.line_total for line in eligible) if scoped else subtotal
    unit_prices = sorted(
        (Fraction(line.line_total, line.quantity) for line in eligible for _ in range(line.quantity)), reverse=False
    )
    if template.kind == CouponTemplate.Kind.PERCENT_OFF:
        return int(Fraction(base * template.percent_off, 100))  # rounded down: never over-discount
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF:
        return min(template.amount_off, base)
    if template.kind == CouponTemplate.Kind.FREE_ITEM:
        return int(unit_prices[0]) if unit_prices else 0  # the cheapest eligible item
    if template.kind == CouponTemplate.Kind.BUY_X_GET_Y:
        group = template.buy_quantity + template.get_quantity
        if not group or len(unit_prices) < group:
            return 0
        free_count = (len(unit_prices) // group) * template.get_quantity
        return int(sum(unit_prices[:free_count]))  # the cheapest ones are free
    return 0


def coupon_evaluate(
    *,
    code: str,
    member: Member,
    lines: list[QuoteLine],
    subtotal: int,
    at: datetime | None = None,
    store_slug: str | None = None,
    applied_codes: list[str] | None = None,
) -> CouponDiscount:
    """What this coupon takes off this order, or a refusal the till can read out."""
    at = at or timezone.now()
    code = code.strip().upper()
    coupon = coupon_by_code(code=code)
    if coupon is None or coupon.member_id != member.pk:
        raise CouponInvalid(_("No such coupon for this member."))
    if coupon.redeemed_at is not None:
        raise CouponUsed(_("This coupon has already been used."))
    if coupon.expires_at <= at or not coupon.template.is_active:
        raise CouponExpired(
            _("This coupon expired on %(date)s.") % {"date": f"{timezone.localtime(coupon.expires_at):%Y-%m-%d}"}
        )
    template = coupon.template
    others = [c for c in (applied_codes or []) if c != code]
    if others:
        other_templates = coupon_templates_for_codes(codes=others)
        if not template.stackable or any(not t.stackable for t in other_templates):
            raise CouponNotStackable(_("Only one coupon per order unless both say they combine."))
    if subtotal < template.min_spend:
        raise CouponNotApplicable(
            _("Spend at least %(amount)s to use this coupon.") % {"amount": format_money(template.min_spend)}
        )
    amount = min(_discount(template, lines, subtotal), subtotal)
    if amount <= 0:
        raise CouponNotApplicable(_("Nothing in this order qualifies for this coupon."))
    return CouponDiscount(code=code, amount=amount, description=template.name, stackable=template.stackable)


def coupon_redeem(*, code: str, member: Member, order_reference: str, discount: int) -> Coupon:
    """Mark the coupon used. The row lock makes it single-use under any
    concurrency; the same order redeeming again is a no-op."""
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().select_related("template").filter(code=code.strip().upper()).first()
        if coupon is None or coupon.member_id != member.pk:
            raise CouponInvalid("No such coupon for this member.")
        if coupon.redeemed_at is not None:
            if coupon.order_reference == order_reference:
                return coupon
            raise CouponUsed("This coupon has already been used.")
        if coupon.expires_at <= timezone.now():
            raise CouponExpired(_("This coupon has expired."))
        template = coupon.template
        if template.total_limit and template.coupons.filter(redeemed_at__isnull=False).count() >= template.total_limit:
            raise CouponNotApplicable(_("This offer has run out."))
        if template.per_member_limit and (
            template.coupons.filter(member=member, redeemed_at__isnull=False).count() >= template.per_member_limit
        ):
            raise CouponNotApplicable(_("You have used this offer as often as it allows."))
        coupon.redeemed_at = timezone.now()
        coupon.order_reference = order_reference
        coupon.discount = discount
        coupon.save(update_fields=["redeemed_at", "order_reference", "discount"])
        return coupon


def coupon_release(*, order_reference: str) -> int:
    """A fully refunded order gives its coupons back."""
    return Coupon.objects.filter(order_reference=order_reference, redeemed_at__isnull=False).update(
        redeemed_at=None, order_reference="", discount=0
    )
