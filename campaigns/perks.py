"""What a member gets today, in words: the member day, promotions running
today and the perks of their tier — for the card page and the till.

Reads only the per-process rule caches (promotions, tiers), so showing the
perks costs no query per promotion, and usually none at all. Earning itself
is campaigns.earning's: these lines describe the same rules, they do not
decide anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.holdout import promotion_holds_out
from campaigns.models import Promotion, active_promotions
from members.models import Member
from members.selectors import tier_of


@dataclass(frozen=True)
class Perk:
    kind: str  # "member_day", "promotion" or "tier"
    text: str
    detail: str = ""


def promotion_offer(promo: Promotion) -> str:
    """ "double points", "+10 bonus points", or both."""
    times = promo.multiplier_percent
    multiplier = ""
    if times == 200:
        multiplier = _("double points")
    elif times == 300:
        multiplier = _("triple points")
    elif times > 100:
        multiplier = _("×%(times)s points") % {"times": f"{times / 100:g}"}
    bonus = (
        ngettext("+%(points)s bonus point", "+%(points)s bonus points", promo.bonus_points)
        % {"points": promo.bonus_points}
        if promo.bonus_points
        else ""
    )
    if multiplier and bonus:
        return _("%(multiplier)s plus %(bonus)s") % {"multiplier": multiplier, "bonus": bonus}
    return multiplier or bonus


def _runs_later_today(promo: Promotion, *, local: datetime) -> bool:
    """On this local day, from now on: the window is open today, it is one of
    its weekdays and its hours have not ended yet."""
    if not promo.is_active or not promotion_offer(promo):
        return False
    day_end = local.replace(hour=23, minute=59, second=59)
    if promo.starts_at and promo.starts_at > day_end or promo.ends_at and promo.ends_at <= local:
        return False
    if promo.weekdays and str(local.isoweekday()) not in promo.weekdays.replace(" ", "").split(","):
        return False
    return not (promo.end_time and local.time() >= promo.end_time)


def _hours(start: time | None, end: time | None) -> str:
    if start is None and end is None:
        return ""
    return f"{time_format(start or time(0), 'H:i')}–{time_format(end or time(23, 59), 'H:i')}"


def _promotion_perk(promo: Promotion, *, store_slug: str | None) -> Perk:
    offer = promotion_offer(promo)
    hours = _hours(promo.start_time, promo.end_time)
    if promo.is_member_day:
        text = _("Today: member day — %(offer)s") % {"offer": offer}
    else:
        text = _("Today: %(offer)s") % {"offer": offer}
    if hours:
        text = _("%(perk)s, %(hours)s") % {"perk": text, "hours": hours}
    detail = promo.name
    if promo.store_slugs.strip() and store_slug is None:
        detail = _("%(promotion)s (at some stores)") % {"promotion": promo.name}
    return Perk(kind="member_day" if promo.is_member_day else "promotion", text=text, detail=detail)


def member_perks(
    *, member: Member, at: datetime, store_slug: str | None = None, zone: tzinfo | None = None
) -> list[Perk]:
    """Member day first, then today's other promotions, then the tier's perks.
    `store_slug` (the till's store) keeps only promotions that apply there;
    without it (the card page) promotions at any store are listed. `zone`:
    the store's clock (the installation's when not given)."""
    local = timezone.localtime(at, zone)
    perks = []
    for promo in active_promotions():
        stores = promo.stores
        if stores and store_slug is not None and store_slug not in stores:
            continue
        if promotion_holds_out(promotion=promo, member_id=member.pk):
            continue  # its holdout earns nothing from it, so is not told of it
        if _runs_later_today(promo, local=local):
            perks.append(_promotion_perk(promo, store_slug=store_slug))
    perks.sort(key=lambda perk: perk.kind != "member_day")
    tier = tier_of(member)
    if tier is not None:
        if tier.multiplier_percent > 100:
            offer = _("×%(times)s points") % {"times": f"{tier.multiplier_percent / 100:g}"}
            if tier.multiplier_percent == 200:
                offer = _("double points")
            perks.append(
                Perk(kind="tier", text=_("%(tier)s: %(offer)s on every order") % {"tier": tier.name, "offer": offer})
            )
        if tier.birthday_reward_points:
            perks.append(
                Perk(
                    kind="tier",
                    text=_("%(tier)s: %(points)s points on your birthday")
                    % {"tier": tier.name, "points": tier.birthday_reward_points},
                )
            )
        if tier.perks.strip():
            perks.append(Perk(kind="tier", text=tier.perks.strip()))
    return perks
