"""Reads for campaigns: coupons, rewards, feedback, segments, and who a
lifecycle campaign enters and what it achieved. Nothing here writes; the
retention and churn reports live in campaigns.reports.

Rules that compute something from these rows (a coupon's discount, a
member's points, RFM scores) stay in their own modules and call in here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db import connections
from django.db.models import Avg, Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from numpy.typing import NDArray

from cafe_loyalty.core.replica import reading_alias
from campaigns.models import (
    Broadcast,
    BroadcastDelivery,
    Campaign,
    CampaignEntry,
    ClvFit,
    Coupon,
    CouponTemplate,
    EarnRule,
    MemberSegment,
    MemberValue,
    OrderFeedback,
    PromotionAward,
    ReferralCode,
    Reminder,
    Reward,
)
from members.models import Consent, Member, Notice, Visit
from members.notices import EMAIL_PURPOSE
from members.selectors import members_with_consent

# --- Coupons and rewards ---------------------------------------------------------


def coupons_live(*, member: Member, now: datetime) -> QuerySet[Coupon]:
    """The member's coupons still to use: not redeemed, not expired; soonest to expire first."""
    return Coupon.objects.filter(member=member, redeemed_at__isnull=True, expires_at__gt=now).select_related("template")


def coupons_of_member(*, member: Member) -> QuerySet[Coupon]:
    """Every coupon the member was ever issued (used, expired or live)."""
    return Coupon.objects.filter(member=member).select_related("template")


def coupon_by_code(*, code: str) -> Coupon | None:
    """The coupon with this (already normalised) code, whoever holds it."""
    return Coupon.objects.select_related("template").filter(code=code).first()


def coupon_templates_for_codes(*, codes: list[str]) -> QuerySet[CouponTemplate]:
    return CouponTemplate.objects.filter(coupons__code__in=codes)


def rewards_active() -> QuerySet[Reward]:
    """The rewards catalogue members see, cheapest first."""
    return Reward.objects.filter(is_active=True).select_related("template")


def reward_by_id(*, reward_id: int) -> Reward | None:
    return Reward.objects.select_related("template").filter(pk=reward_id).first()


def earn_rule_exists() -> bool:
    return EarnRule.objects.exists()


# --- Referrals -------------------------------------------------------------------


def referral_code_of_member(*, member: Member) -> ReferralCode | None:
    return ReferralCode.objects.filter(member=member).first()


def referral_code_by_code(*, code: str) -> ReferralCode | None:
    """The (already normalised) code with the member who shares it."""
    return ReferralCode.objects.select_related("member").filter(code=code).first()


# --- Feedback --------------------------------------------------------------------


def member_visit(*, member: Member, reference: str) -> Visit | None:
    """The member's own loyalty visit for an order reference ('order:<id>'), or None."""
    if not reference.isprintable():  # PostgreSQL refuses control characters in a lookup; no order has them.
        return None
    return Visit.objects.filter(member=member, reference=reference).first()


def order_feedback_of(*, member: Member, reference: str) -> OrderFeedback | None:
    return OrderFeedback.objects.filter(member=member, order_reference=reference).first()


def feedback_by_store(*, feedbacks: QuerySet[OrderFeedback]) -> QuerySet[OrderFeedback, dict[str, Any]]:
    """Average rating and count per store over `feedbacks` (e.g. the admin's filtered list)."""
    return (
        feedbacks.order_by()
        .values("store_slug")
        .annotate(average=Avg("rating"), count=Count("pk"))
        .order_by("store_slug")
    )


def feedback_follow_ups_open() -> QuerySet[OrderFeedback]:
    """Low ratings whose follow-up nobody has handled yet, newest first, with their member."""
    return (
        OrderFeedback.objects.filter(follow_up=True, follow_up_handled_at__isnull=True)
        .select_related("member")
        .order_by("-created_at")
    )


# --- Segments and birthdays ------------------------------------------------------


@dataclass(frozen=True)
class VisitTotals:
    member_id: int
    last_visit_at: datetime
    visits: int  # since the cut-off
    spend: int  # since the cut-off


def visit_totals_by_member(*, since: datetime) -> list[VisitTotals]:
    """Per member who ever visited (anonymised members excluded): the last
    visit, and visits and spend after `since`. One aggregate query."""
    rows = (
        Visit.objects.filter(member__anonymised_at__isnull=True)
        .values("member_id")
        .annotate(
            last=Max("at"),
            visits=Count("pk", filter=Q(at__gt=since)),
            spend=Sum("amount", filter=Q(at__gt=since), default=0),
        )
        .order_by()
    )
    return [
        VisitTotals(
            member_id=row["member_id"],
            last_visit_at=row["last"],
            visits=int(row["visits"]),
            spend=int(row["spend"] or 0),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class VisitHistory:
    """Per member who visited up to `now` (anonymised members excluded), as
    arrays the CLV job computes on: visits and spend in total, first and last
    visit (seconds since the epoch), and the same counted only before `cut`
    (NaN where there was no visit before it)."""

    member_ids: list[int]
    visits: NDArray[np.float64]
    spend: NDArray[np.float64]
    first: NDArray[np.float64]
    last: NDArray[np.float64]
    visits_before: NDArray[np.float64]
    last_before: NDArray[np.float64]


# PostgreSQL hands the times over as seconds (floats load at C speed, where
# Django's time-zone-aware datetime loader costs a second per 100,000 values).
VISIT_HISTORY_PG = (
    "SELECT v.member_id, count(*), COALESCE(sum(v.amount), 0)::float8,"
    " extract(epoch FROM min(v.at))::float8, extract(epoch FROM max(v.at))::float8,"
    " count(*) FILTER (WHERE v.at < %(cut)s), extract(epoch FROM max(v.at) FILTER (WHERE v.at < %(cut)s))::float8"
    " FROM members_visit v JOIN members_member m ON m.id = v.member_id"
    " WHERE m.anonymised_at IS NULL AND v.at <= %(now)s GROUP BY v.member_id ORDER BY v.member_id"
)


def _seconds(times: list[datetime | None]) -> list[float]:
    return [moment.timestamp() if moment is not None else np.nan for moment in times]


def visit_history_by_member(*, now: datetime, cut: datetime) -> VisitHistory:
    """One aggregate query over visits (no per-member queries)."""
    database = connections[reading_alias()]
    if database.vendor == "postgresql":
        with database.cursor() as cursor:
            cursor.execute(VISIT_HISTORY_PG, {"cut": cut, "now": now})
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(7)]
    else:
        before = Q(at__lt=cut)
        rows = list(
            Visit.objects.filter(member__anonymised_at__isnull=True, at__lte=now)
            .values("member_id")
            .annotate(
                n=Count("pk"),
                total=Sum("amount", default=0),
                first=Min("at"),
                last=Max("at"),
                n_before=Count("pk", filter=before),
                last_before=Max("at", filter=before),
            )
            .order_by("member_id")
            .values_list("member_id", "n", "total", "first", "last", "n_before", "last_before")
        )
        columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(7)]
        for index in (3, 4, 6):
            columns[index] = _seconds(columns[index])
    ids, *numbers = columns
    return VisitHistory(ids, *(np.array(column, dtype=np.float64) for column in numbers))


def member_value(*, member: Member) -> MemberValue | None:
    """The member's CLV scores from the latest fit (None before their first visit is scored)."""
    return MemberValue.objects.filter(member=member).first()


def clv_fit_latest() -> ClvFit | None:
    return ClvFit.objects.first()


def segment_counts() -> dict[str, int]:
    """Members per RFM segment, every segment present (0 when empty), in the segments' order."""
    counts = dict(
        MemberSegment.objects.order_by().values_list("segment").annotate(n=Count("pk")).values_list("segment", "n")
    )
    return {key: counts.get(key, 0) for key in MemberSegment.Segment.values}


def member_segment(*, member: Member) -> MemberSegment | None:
    return MemberSegment.objects.filter(member=member).first()


def members_due_birthday_reward(*, today: date) -> QuerySet[Member]:
    """Members (with their tier) whose birthday month is today's and who have
    had no birthday reward this year."""
    return (
        Member.objects.select_related("tier")
        .filter(birthday__month=today.month, anonymised_at__isnull=True)
        .exclude(Q(birthday_grants__year=today.year))
    )


# --- Lifecycle campaigns ---------------------------------------------------------


def campaigns_active(*, now: datetime) -> QuerySet[Campaign]:
    """Active campaigns whose window is open now and whose coupon can still be issued."""
    return (
        Campaign.objects.filter(is_active=True, coupon_template__is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("coupon_template")
    )


def campaign_entries_of_member(*, member: Member) -> QuerySet[CampaignEntry]:
    return CampaignEntry.objects.filter(member=member).select_related("campaign")


# The member's own records of what campaigns did to them, for their data export.
def promotion_awards_of_member(*, member: Member) -> QuerySet[PromotionAward]:
    return PromotionAward.objects.filter(member=member).select_related("promotion").order_by("awarded_at", "pk")


def broadcast_deliveries_of_member(*, member: Member) -> QuerySet[BroadcastDelivery]:
    return BroadcastDelivery.objects.filter(member=member).select_related("broadcast").order_by("sent_at", "pk")


def reminders_of_member(*, member: Member) -> QuerySet[Reminder]:
    return Reminder.objects.filter(member=member).order_by("sent_at", "pk")


def _with_personalised_consent(members: QuerySet[Member]) -> QuerySet[Member]:
    """Audiences picked by order history reach only members who agreed to personalised offers."""
    return members_with_consent(members, purpose=Consent.Purpose.PERSONALISED)


# Audiences a campaign or a message may pick (Campaign.Kind and Broadcast.Audience share these values).
AUDIENCE_EVERYONE = "everyone"


def audience_members(
    members: QuerySet[Member], *, audience: str, now: datetime, segment: str = "", days: int = 0
) -> QuerySet[Member]:
    """The one home of who an audience is. Everyone and welcome (joined in the
    last `days`) need no consent here; audiences picked by order history
    (win-back after `days` away, an RFM segment, high value at risk of leaving)
    reach only members who agreed to personalised offers."""
    members = members.filter(anonymised_at__isnull=True)
    cutoff = now - timedelta(days=days)
    if audience == AUDIENCE_EVERYONE:
        return members
    if audience == Campaign.Kind.WELCOME:
        return members.filter(created_at__gte=cutoff)
    if audience == Campaign.Kind.WIN_BACK:
        lapsed = members.annotate(last_visit=Max("visits__at")).filter(last_visit__lt=cutoff)
        return _with_personalised_consent(lapsed)
    if audience == Campaign.Kind.HIGH_VALUE_AT_RISK:
        return _with_personalised_consent(members.filter(value__high_value_at_risk=True))
    if audience == Campaign.Kind.SEGMENT:
        return _with_personalised_consent(members.filter(segment__segment=segment))
    raise ValueError(f"unknown audience {audience!r}")


def eligible_members(*, campaign: Campaign, now: datetime) -> QuerySet[Member]:
    """Members the campaign would enter now (not yet entered)."""
    members = Member.objects.exclude(Exists(CampaignEntry.objects.filter(campaign=campaign, member=OuterRef("pk"))))
    return audience_members(members, audience=campaign.kind, now=now, segment=campaign.segment, days=campaign.days)


# --- Messages --------------------------------------------------------------------


def broadcast_audience(*, broadcast: Broadcast, now: datetime) -> QuerySet[Member]:
    """Who the broadcast is for: its audience, among members who agreed to
    its purpose (offers and news) on some channel."""
    members = audience_members(Member.objects.all(), audience=broadcast.audience, now=now, segment=broadcast.segment)
    return members_with_consent(members, purpose=EMAIL_PURPOSE[Notice.Kind.NEWS])


def broadcast_recipients(*, broadcast: Broadcast, now: datetime) -> QuerySet[Member]:
    """The audience not yet sent the broadcast, in primary-key order."""
    sent = BroadcastDelivery.objects.filter(broadcast=broadcast, member=OuterRef("pk"))
    return broadcast_audience(broadcast=broadcast, now=now).exclude(Exists(sent)).order_by("pk")


@dataclass(frozen=True)
class GroupResult:
    members: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.members if self.members else None


@dataclass(frozen=True)
class CampaignResult:
    treatment: GroupResult
    holdout: GroupResult

    @property
    def uplift_points(self) -> float | None:
        """Treatment conversion minus holdout conversion, in percentage points."""
        if self.treatment.rate is None or self.holdout.rate is None:
            return None
        return (self.treatment.rate - self.holdout.rate) * 100


def campaign_entries_came_back(*, campaign: Campaign) -> QuerySet[Any]:
    """The campaign's entries, each `converted` when the member visited within
    the conversion window after entering: the one came-back rule."""
    window = timedelta(days=campaign.conversion_days)
    converted = Visit.objects.filter(
        member=OuterRef("member"), at__gt=OuterRef("entered_at"), at__lte=OuterRef("entered_at") + window
    )
    return campaign.entries.annotate(converted=Exists(converted))


def campaign_result(*, campaign: Campaign) -> CampaignResult:
    """Who visited within the conversion window after entering, per group."""
    return campaign_result_by_template(campaign=campaign)[0]


def campaign_result_by_template(*, campaign: Campaign) -> tuple[CampaignResult, dict[int, GroupResult]]:
    """campaign_result, and its sent group split by the coupon template each
    member got (variants may give different ones). One query."""
    rows = (
        campaign_entries_came_back(campaign=campaign)
        .values_list("group", "coupon__template_id", "converted")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(group, done): 0 for group in CampaignEntry.Group.values for done in (True, False)}
    by_template: dict[int, list[int]] = {}
    for group, template_id, done, n in rows:
        counts[(group, bool(done))] += n
        if group == CampaignEntry.Group.TREATMENT and template_id is not None:
            sums = by_template.setdefault(template_id, [0, 0])
            sums[0] += n
            sums[1] += n if done else 0

    def result(group: str) -> GroupResult:
        return GroupResult(members=counts[(group, True)] + counts[(group, False)], converted=counts[(group, True)])

    whole = CampaignResult(treatment=result(CampaignEntry.Group.TREATMENT), holdout=result(CampaignEntry.Group.HOLDOUT))
    return whole, {pk: GroupResult(members=n, converted=done) for pk, (n, done) in by_template.items()}
