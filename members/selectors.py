"""Reads for members (querysets, summaries)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cafe_loyalty.core.clock import local_day_start
from cafe_loyalty.core.rows import raw_first
from members.models import Consent, Member, PointsEntry, PointsLot, Tier, Visit, tiers_by_rank


def member_for_user(*, user: Any) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).first()


def member_by_card_number(*, card_number: str) -> Member | None:
    return Member.objects.filter(card_number=card_number, anonymised_at__isnull=True).first()


def consent_current(*, member: Member) -> dict[tuple[str, str], bool]:
    """Current choice per (channel, purpose); absent means never granted."""
    return consents_current(member_ids=[member.pk]).get(member.pk, {})


def consents_current(*, member_ids: list[int]) -> dict[int, dict[tuple[str, str], bool]]:
    """consent_current for many members in one query: the latest record wins."""
    return _latest_choices(_choice_rows(Consent.objects.filter(member_id__in=member_ids)))


def _choice_rows(consents: QuerySet[Consent]) -> QuerySet[Any]:
    return consents.order_by("recorded_at", "pk").values_list("member_id", "channel", "purpose", "granted")


def _latest_choices(rows: Iterable[tuple[int, str, str, bool]]) -> dict[int, dict[tuple[str, str], bool]]:
    """Per member, the choice per (channel, purpose) of the latest record
    (rows in the order they were recorded)."""
    current: dict[int, dict[tuple[str, str], bool]] = {}
    for member_id, channel, purpose, granted in rows:
        current.setdefault(member_id, {})[(channel, purpose)] = granted
    return current


def _agreed_on_some_channel(choices: dict[tuple[str, str], bool], purpose: str) -> bool:
    """Agreed to `purpose`: the latest choice on some channel is yes (the rule
    `members_with_consent` states in SQL for querysets)."""
    return any(granted for (_channel, chosen), granted in choices.items() if chosen == purpose)


def consent_granted(*, member: Member, channel: str, purpose: str) -> bool:
    return consent_current(member=member).get((channel, purpose), False)


def members_with_consent(members: QuerySet[Member], *, purpose: str) -> QuerySet[Member]:
    """The members whose newest choice for `purpose`, on some channel, is yes:
    who a campaign, a message or a reminder for that purpose may reach (the
    rule `_agreed_on_some_channel` applies to choices already read)."""
    newest = Consent.objects.filter(member=OuterRef("member"), channel=OuterRef("channel"), purpose=purpose).order_by(
        "-recorded_at", "-pk"
    )
    granted = Consent.objects.filter(member=OuterRef("pk"), purpose=purpose, granted=True).filter(
        pk=newest.values("pk")[:1]
    )
    return members.filter(Exists(granted))


def personalised_offers_agreed(*, member: Member) -> bool:
    """The member's newest personalised-offers choice, on some channel, is
    yes (as campaigns count it). One query."""
    return _agreed_on_some_channel(consent_current(member=member), Consent.Purpose.PERSONALISED)


def member_ids_agreeing_to_personalised_offers() -> set[int]:
    """Every member (not anonymised) whose newest personalised-offers choice,
    on some channel, is yes: one query over the consents, for nightly jobs."""
    purpose = Consent.Purpose.PERSONALISED
    consents = Consent.objects.filter(purpose=purpose, member__anonymised_at__isnull=True)
    choices = _latest_choices(_choice_rows(consents).iterator(chunk_size=20_000))
    return {member_id for member_id, chosen in choices.items() if _agreed_on_some_channel(chosen, purpose)}


# --- Tiers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Qualification:
    points_12m: int
    visits_12m: int


@dataclass(frozen=True)
class MemberActivity:
    """What earning, tiers and referrals need to know about a member at `at`:
    points earned from orders that local day (for the daily cap), the 12-month
    qualification, whether the order `reference`'s visit is already counted,
    and whether the member has visited for any other order."""

    order_points_today: int
    before: Qualification
    visit_counted: bool
    first_order: bool
    # The member's current email consent per purpose asked for (see
    # member_activity's email_purposes); empty when none were asked.
    email_consents: dict[str, bool] = field(default_factory=dict)

    def after(self, *, points_earned: int) -> Qualification:
        """The qualification once this order's points and visit count too."""
        return Qualification(
            points_12m=max(self.before.points_12m + points_earned, 0),
            visits_12m=self.before.visits_12m + (0 if self.visit_counted else 1),
        )


# Tiers qualify on the last 365 days: what happened strictly after `at - QUALIFYING_WINDOW`.
QUALIFYING_WINDOW = timedelta(days=365)

# The one definition of two rules, as one statement:
# - 12-month qualification: points earned less points reversed by refunds
#   (never below zero) and visits, both strictly after `at - QUALIFYING_WINDOW`;
# - today's points from orders (the daily earning cap): earn entries with
#   source 'order' since local midnight of `at`, in the programme's time zone.
# SQL because the payment hot path runs it on every paid order, with the member
# row lock (member_lock_for_order): the ORM spends milliseconds compiling these
# correlated subqueries. The portal, the tier review and earning outside a
# payment read the same statement (qualification, member_order_points_today),
# so no page can count differently from the till.
_ACTIVITY_SQL = """
SELECT m.*,
  COALESCE((SELECT SUM(e.points) FROM {entry} e
            WHERE e.member_id = m.id AND e.kind = %s AND e.source = 'order' AND e.created_at >= %s), 0)
    AS order_points_today,
  COALESCE((SELECT SUM(e.points) FROM {entry} e
            WHERE e.member_id = m.id AND e.kind IN (%s, %s) AND e.created_at > %s), 0) AS points_12m,
  (SELECT COUNT(*) FROM {visit} v WHERE v.member_id = m.id AND v.at > %s) AS visits_12m,
  EXISTS(SELECT 1 FROM {visit} v WHERE v.member_id = m.id AND v.reference = %s) AS visit_counted,
  EXISTS(SELECT 1 FROM {visit} v WHERE v.member_id = m.id AND v.reference <> %s) AS visited_before{consents}
FROM {member} m WHERE m.id = %s
"""

# One column per consent purpose asked for: the latest email record for it
# (consent_current's rule), so the payment's receipt knows whether to email
# without another round trip.
_EMAIL_CONSENT_SQL = """,
  COALESCE((SELECT c.granted FROM {consent} c WHERE c.member_id = m.id AND c.channel = %s AND c.purpose = %s
            ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), %s) AS consent_{index}"""


def member_activity(
    *,
    member: Member,
    at: datetime,
    reference: str = "",
    for_update: bool = False,
    email_purposes: tuple[str, ...] = (),
) -> tuple[Member, MemberActivity]:
    """The member row, fresh, and its activity at `at`, in one query;
    `for_update` also locks the row where the database can (PostgreSQL);
    `email_purposes`: also read whether the member consents to email for each."""
    adapt = connection.ops.adapt_datetimefield_value  # the time exactly as the ORM stores it
    since = adapt(at - QUALIFYING_WINDOW)
    day_start = adapt(local_day_start(at))
    consents = "".join(
        _EMAIL_CONSENT_SQL.format(consent=Consent._meta.db_table, index=i) for i in range(len(email_purposes))
    )
    sql = _ACTIVITY_SQL.format(
        entry=PointsEntry._meta.db_table, visit=Visit._meta.db_table, member=Member._meta.db_table, consents=consents
    )
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE OF m"
    earn, reverse = PointsEntry.Kind.EARN.value, PointsEntry.Kind.REVERSE.value
    params: list[Any] = [earn, day_start, earn, reverse, since, since, reference, reference]
    for purpose in email_purposes:
        params += [Consent.Channel.EMAIL.value, purpose, False]
    params.append(member.pk)
    fresh = raw_first(Member, sql, params)
    if fresh is None:
        raise Member.DoesNotExist(f"member {member.pk}")
    counts = vars(fresh)  # the extra columns land as instance attributes
    return fresh, MemberActivity(
        order_points_today=int(counts["order_points_today"]),
        before=Qualification(points_12m=max(int(counts["points_12m"]), 0), visits_12m=int(counts["visits_12m"])),
        visit_counted=bool(counts["visit_counted"]),
        first_order=not counts["visited_before"],
        email_consents={purpose: bool(counts[f"consent_{i}"]) for i, purpose in enumerate(email_purposes)},
    )


def qualification(*, member: Member, now: datetime) -> Qualification:
    """Points earned (net of reversals) and visits over the 12 months to `now`."""
    return member_activity(member=member, at=now)[1].before


def member_order_points_today(*, member: Member, at: datetime) -> int:
    """Points earned from orders on the local day of `at` (for the daily cap)."""
    return member_activity(member=member, at=at)[1].order_points_today


def qualifying_tier(*, tiers: list[Tier], q: Qualification) -> Tier | None:
    best = None
    for tier in tiers:  # ordered by rank
        if q.points_12m >= tier.min_points_12m or (tier.min_visits_12m and q.visits_12m >= tier.min_visits_12m):
            best = tier
    return best


def tier_of(member: Member) -> Tier | None:
    """The member's tier from the per-process tier list (no query)."""
    if member.tier_id is None:
        return None
    for tier in tiers_by_rank():
        if tier.pk == member.tier_id:
            return tier
    return Tier.objects.filter(pk=member.tier_id).first()  # created after the memo


def tier_multiplier_percent(*, member: Member) -> int:
    tier = tier_of(member)
    return tier.multiplier_percent if tier else 100


@dataclass(frozen=True)
class TierProgress:
    tier: str
    next_tier: str | None
    points_12m: int
    visits_12m: int
    points_needed: int
    visits_needed: int
    percent: int
    hint: str
    # The English names (a tier's name in the API, whose TierName enum lists them);
    # `tier` and `next_tier` are in the reader's language.
    tier_en: str = ""
    next_tier_en: str | None = None


def tier_progress(*, member: Member, now: datetime) -> TierProgress:
    q = qualification(member=member, now=now)
    tiers = tiers_by_rank()
    current = tier_of(member) or (tiers[0] if tiers else None)
    higher = [t for t in tiers if current is None or t.rank > current.rank]
    nxt = higher[0] if higher else None
    if nxt is None:
        name = str(current) if current else _("Member")
        return TierProgress(name, None, q.points_12m, q.visits_12m, 0, 0, 100, "", tier_english(current) or name)
    points_needed = max(nxt.min_points_12m - q.points_12m, 0)
    visits_needed = max(nxt.min_visits_12m - q.visits_12m, 0) if nxt.min_visits_12m else 0
    by_points = q.points_12m * 100 // nxt.min_points_12m if nxt.min_points_12m else 0
    by_visits = q.visits_12m * 100 // nxt.min_visits_12m if nxt.min_visits_12m else 0
    percent = min(max(by_points, by_visits), 100)
    if nxt.min_visits_12m:
        hint = _("%(points)s more points or %(visits)s more visits to reach %(tier)s.") % {
            "points": points_needed,
            "visits": visits_needed,
            "tier": nxt.name,
        }
    else:
        hint = _("%(points)s more points to reach %(tier)s.") % {"points": points_needed, "tier": nxt.name}
    return TierProgress(
        str(current),
        nxt.name,
        q.points_12m,
        q.visits_12m,
        points_needed,
        visits_needed,
        percent,
        hint,
        tier_english(current) or str(current),
        tier_english(nxt),
    )


def tier_english(tier: Tier | None) -> str | None:
    """A tier's English name: what the API answers, whatever the reader's
    language (the schema's TierName enum lists these)."""
    if tier is None:
        return None
    return str(getattr(tier, "name_en", None) or tier.name)


def points_problems() -> list[str]:
    """check_points: each member's cached balance equals the sum of their entries
    and of their unexpired lots' remaining."""
    entries = PointsEntry.objects.filter(member=OuterRef("pk")).values("member").annotate(s=Sum("points")).values("s")
    lots = (
        PointsLot.objects.filter(member=OuterRef("pk"), remaining__gt=0)
        .values("member")
        .annotate(s=Sum("remaining"))
        .values("s")
    )
    rows = Member.objects.annotate(
        entries_sum=Coalesce(Subquery(entries), 0), lots_sum=Coalesce(Subquery(lots), 0)
    ).values_list("pk", "card_number", "points_balance", "entries_sum", "lots_sum")
    problems = []
    for pk, card, balance, entries_sum, lots_sum in rows.iterator():
        if not balance == entries_sum == lots_sum:
            problems.append(f"member {pk} ({card}): balance {balance}, entries {entries_sum}, lots {lots_sum}")
    return problems
