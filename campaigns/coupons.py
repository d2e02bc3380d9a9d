"""Coupons: issue, evaluate against an order, hold for one open order, redeem
once (under row locks taken in one order, see coupons_lock)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money
from campaigns.earning import QuoteLine
from campaigns.exceptions import (
    CouponExpired,
    CouponInvalid,
    CouponNotApplicable,
    CouponNotStackable,
    CouponReserved,
    CouponUsed,
)
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


def coupon_list_value(template: CouponTemplate, *, price: int | None) -> int | None:
    """What a coupon is worth before it is used, by the till's own rule: an
    amount off is worth its amount; a coupon for one product (free, or a
    percentage off) the discount it gives on one of that product at `price`;
    None when it depends on what is bought (a category, the whole order, buy X
    get Y), or the product is unknown (`price` None)."""
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF:
        return template.amount_off
    if price is None or not template.scope_sku or template.kind == CouponTemplate.Kind.BUY_X_GET_Y:
        return None
    one = QuoteLine(product_sku=template.scope_sku, category_slug=template.scope_category, quantity=1, line_total=price)
    return _discount(template, [one], price)


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
    other_templates = list(coupon_templates_for_codes(codes=others)) if others else []
    amount = coupon_template_discount(template=template, lines=lines, subtotal=subtotal, others=other_templates)
    return CouponDiscount(code=code, amount=amount, description=template.name, stackable=template.stackable)


def coupon_template_discount(
    *, template: CouponTemplate, lines: list[QuoteLine], subtotal: int, others: list[CouponTemplate]
) -> int:
    """What a coupon of `template` takes off these lines beside coupons of
    `others`, or its refusal: the rule of coupon_evaluate, also used to show a
    reward's coupon on a cart before the reward is redeemed."""
    if others and (not template.stackable or any(not t.stackable for t in others)):
        raise CouponNotStackable(_("Only one coupon per order unless both say they combine."))
    if subtotal < template.min_spend:
        raise CouponNotApplicable(
            _("Spend at least %(amount)s to use this coupon.") % {"amount": format_money(template.min_spend)}
        )
    amount = min(_discount(template, lines, subtotal), subtotal)
    if amount <= 0:
        raise CouponNotApplicable(_("Nothing in this order qualifies for this coupon."))
    return amount


# --- Holding and redeeming: one coupon, one order -------------------------------------

# An open order holds its coupons this long after it last took them (applied,
# or a tender taken); after that the hold has lapsed and another order may take
# the coupon, so a coupon left on an abandoned order is never locked for good.
COUPON_HOLD = timedelta(minutes=30)


def coupons_lock(*, codes: list[str]) -> dict[str, Coupon]:
    """Lock the coupons with these codes for a hold or a redemption.

    Lock order: the templates that count their uses (a total or per-member
    limit), by primary key, then the coupons, by primary key. The template
    lock makes "count the uses, then take one" one step for every till, so
    the last allowed use goes to exactly one order; templates without limits
    are not locked, so a popular offer does not queue its redemptions."""
    codes = sorted({c.strip().upper() for c in codes})
    limited = sorted(
        {
            template_id
            for template_id, total_limit, per_member_limit in Coupon.objects.filter(code__in=codes).values_list(
                "template_id", "template__total_limit", "template__per_member_limit"
            )
            if total_limit or per_member_limit
        }
    )
    if limited:
        list(CouponTemplate.objects.select_for_update().filter(pk__in=limited).order_by("pk").values_list("pk"))
    locked = Coupon.objects.select_for_update(of=("self",)).select_related("template").filter(code__in=codes)
    return {coupon.code: coupon for coupon in locked.order_by("pk")}


def _live_hold(now: datetime) -> Q:
    return ~Q(reserved_for="") & Q(reserved_at__gt=now - COUPON_HOLD)


def _uses_besides(coupon: Coupon, *, now: datetime, **same: object) -> tuple[int, int]:
    """Uses of the coupon's template besides this coupon: (redeemed, held by an
    open order whose hold has not lapsed)."""
    others = Coupon.objects.filter(template_id=coupon.template_id, **same).exclude(pk=coupon.pk)
    counts = others.aggregate(
        redeemed=Count("pk", filter=Q(redeemed_at__isnull=False)),
        held=Count("pk", filter=Q(redeemed_at__isnull=True) & _live_hold(now)),
    )
    return counts["redeemed"], counts["held"]


def _check_limit(limit: int, uses: tuple[int, int], *, ran_out: str) -> None:
    redeemed, held = uses
    if limit and redeemed >= limit:
        raise CouponNotApplicable(ran_out)
    if limit and redeemed + held >= limit:
        raise CouponNotApplicable(
            _("The last uses of this offer are on other orders that are not paid yet. Try again in a few minutes.")
        )


def _check_usable(coupon: Coupon | None, *, member: Member, order_reference: str, now: datetime) -> Coupon:
    """The coupon may go on (or be redeemed by) this order now. Call with it
    locked (coupons_lock); a redemption by this same order is checked by the
    caller first."""
    if coupon is None or coupon.member_id != member.pk:
        raise CouponInvalid(_("No such coupon for this member."))
    if coupon.redeemed_at is not None:
        raise CouponUsed(_("This coupon has already been used."))
    if coupon.expires_at <= now or not coupon.template.is_active:
        raise CouponExpired(_("This coupon has expired."))
    held_elsewhere = coupon.reserved_for not in ("", order_reference)
    if held_elsewhere and coupon.reserved_at is not None and coupon.reserved_at > now - COUPON_HOLD:
        raise CouponReserved(
            _("This coupon is on another order that is not paid yet. Take it off that order first, or use another.")
        )
    template = coupon.template
    if template.total_limit:
        _check_limit(template.total_limit, _uses_besides(coupon, now=now), ran_out=_("This offer has run out."))
    if template.per_member_limit:
        _check_limit(
            template.per_member_limit,
            _uses_besides(coupon, now=now, member=member),
            ran_out=_("You have used this offer as often as it allows."),
        )
    return coupon


def coupon_reserve(*, code: str, member: Member, order_reference: str, now: datetime | None = None) -> Coupon:
    """Hold the coupon for this open order until it is paid (coupon_redeem),
    taken off, or the order is voided (coupon_unreserve). While the hold lasts
    (COUPON_HOLD) no other order can hold or redeem the coupon, and the
    template's limits count it as a use, so two tills cannot both take the
    last one. Holding it again for the same order renews the hold."""
    now = now or timezone.now()
    code = code.strip().upper()
    with transaction.atomic():
        coupon = _check_usable(
            coupons_lock(codes=[code]).get(code), member=member, order_reference=order_reference, now=now
        )
        coupon.reserved_for, coupon.reserved_at = order_reference, now
        coupon.save(update_fields=["reserved_for", "reserved_at"])
    return coupon


def coupon_unreserve(*, code: str, order_reference: str) -> bool:
    """Let go of the coupon this order holds (taken off the order)."""
    return bool(coupons_unreserve(order_references=[order_reference], codes=[code.strip().upper()]))


def coupons_unreserve(*, order_references: list[str], codes: list[str] | None = None) -> int:
    """Let go of every coupon these orders hold (voided or cancelled orders);
    a coupon already redeemed is left alone."""
    held = Coupon.objects.filter(reserved_for__in=order_references, redeemed_at__isnull=True)
    if codes is not None:
        held = held.filter(code__in=codes)
    return held.update(reserved_for="", reserved_at=None)


def coupon_redeem(*, code: str, member: Member, order_reference: str, discount: int) -> Coupon:
    """Mark the coupon used by this (now paid) order and end its hold. Under
    the locks of coupons_lock the coupon is used once and the template's
    limits hold, whatever the concurrency; the same order redeeming again is
    a no-op."""
    now = timezone.now()
    with transaction.atomic():
        coupon = coupons_lock(codes=[code]).get(code.strip().upper())
        if coupon is not None and coupon.redeemed_at is not None and coupon.member_id == member.pk:
            if coupon.order_reference == order_reference:
                return coupon
        coupon = _check_usable(coupon, member=member, order_reference=order_reference, now=now)
        coupon.redeemed_at = now
        coupon.order_reference = order_reference
        coupon.discount = discount
        coupon.reserved_for, coupon.reserved_at = "", None
        coupon.save(update_fields=["redeemed_at", "order_reference", "discount", "reserved_for", "reserved_at"])
        return coupon


def coupon_release(*, order_reference: str) -> int:
    """A fully refunded order gives its coupons back."""
    return Coupon.objects.filter(order_reference=order_reference, redeemed_at__isnull=False).update(
        redeemed_at=None, order_reference="", discount=0
    )


def coupon_unredeem(*, coupon_id: int) -> Coupon:
    """Give one used coupon back to its member, usable again (a manager's
    correction; cafe_loyalty's four eyes decide when). Under the coupon's row
    lock, so a coupon is given back once however often this is called."""
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update(of=("self",)).select_related("template", "member").get(pk=coupon_id)
        if coupon.redeemed_at is None:
            raise CouponNotApplicable(_("This coupon has not been used."))
        coupon.redeemed_at, coupon.order_reference, coupon.discount = None, "", 0
        coupon.save(update_fields=["redeemed_at", "order_reference", "discount"])
        notice_send(
            member=coupon.member,
            kind="offer",
            title=notice_text(gettext_noop("Coupon given back: %(offer)s"), offer=coupon.template.name),
            link="/offers/",
        )
    return coupon
