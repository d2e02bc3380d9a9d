"""Ends-soon reminders: a member is told, `PointsPolicy.reminder_days` before
(3 by default), that a coupon, a reward's coupon or points of theirs expire,
or that a promotion they qualify for ends (not to its holdout:
campaigns.holdout); once per item (`Reminder` is unique
per member, kind and object), so `reminders_send` (`manage.py send_reminders`,
hourly or daily) is safe to rerun.

Rewards in the catalogue have no end date: what a member holds from a reward
is the coupon it was redeemed into, which expires (its template's valid days);
that coupon's reminder is the reward reminder, worded as such.

Consent and quiet hours follow the one rule of messages the programme chooses
to send: a reminder goes only to members who agreed to its notice's purpose
(offers and news for coupons, rewards and promotions; points activity for
points) on some channel, by email where they agreed to email; and nothing is
sent in quiet hours — the next run after they end sends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from campaigns.holdout import promotion_holds_out
from campaigns.models import Coupon, Promotion, Reminder
from members.models import Member, Notice, PointsLot, PointsPolicy, Visit
from members.notices import (
    EMAIL_PURPOSE,
    NoticeValue,
    messages_wait_until,
    notice_datetime,
    notice_number,
    notice_send,
    notice_text,
    notices_batched,
)
from members.selectors import members_with_consent

# Members told per transaction (reminder rows and notices, one INSERT each).
REMINDER_BATCH = 500
_WHEN = "Y-m-d H:i"


@dataclass
class _Due:
    member: Member
    title: NoticeValue
    body: NoticeValue
    object_ids: list[int] = field(default_factory=list)


def _reachable(*, notice_kind: str) -> QuerySet[Member]:
    return members_with_consent(Member.objects.filter(anonymised_at__isnull=True), purpose=EMAIL_PURPOSE[notice_kind])


def _reminded(kind: str) -> Exists:
    """The item (a coupon or a lot, with its member) already reminded of."""
    return Exists(Reminder.objects.filter(member=OuterRef("member"), kind=kind, object_id=OuterRef("pk")))


def _coupons_due(*, kind: str, now: datetime, horizon: datetime) -> Iterator[_Due]:
    """Unredeemed coupons expiring within the horizon (a reward's coupon for REWARD)."""
    from_reward = Q(source="reward")
    coupons = (
        Coupon.objects.filter(from_reward if kind == Reminder.Kind.REWARD else ~from_reward)
        .filter(redeemed_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon)
        .filter(member__in=_reachable(notice_kind=Notice.Kind.OFFER))
        .exclude(_reminded(kind))
        .select_related("member", "template")
        .order_by("pk")
    )
    title = (
        gettext_noop("Your reward %(offer)s expires on %(date)s")
        if kind == Reminder.Kind.REWARD
        else gettext_noop("Your coupon %(offer)s expires on %(date)s")
    )
    for coupon in coupons.iterator(chunk_size=REMINDER_BATCH):
        yield _Due(
            member=coupon.member,
            title=notice_text(title, offer=coupon.template.name, date=notice_datetime(coupon.expires_at, _WHEN)),
            body=notice_text(
                gettext_noop("Use code %(code)s before then, at the till or ordering ahead."), code=coupon.code
            ),
            object_ids=[coupon.pk],
        )


def _points_due(*, now: datetime, horizon: datetime) -> Iterator[_Due]:
    """Per member, one reminder for every lot of theirs expiring within the horizon not yet told."""
    lots = (
        PointsLot.objects.filter(remaining__gt=0, expires_at__gt=now, expires_at__lte=horizon)
        .filter(member__in=_reachable(notice_kind=Notice.Kind.POINTS))
        .exclude(_reminded(Reminder.Kind.POINTS))
        .order_by("member_id", "expires_at", "pk")
        .values_list("member_id", "pk", "remaining", "expires_at")
    )
    by_member: dict[int, list[tuple[int, int, datetime]]] = {}
    for member_id, pk, remaining, expires_at in lots:
        by_member.setdefault(member_id, []).append((pk, remaining, expires_at))
    ids = list(by_member)
    for start in range(0, len(ids), REMINDER_BATCH):
        members = Member.objects.in_bulk(ids[start : start + REMINDER_BATCH])
        for member_id in ids[start : start + REMINDER_BATCH]:
            member_lots = by_member[member_id]
            yield _Due(
                member=members[member_id],
                title=notice_text(
                    gettext_noop("%(points)s points expire on %(date)s"),
                    points=notice_number(sum(remaining for _pk, remaining, _at in member_lots)),
                    date=notice_datetime(member_lots[0][2], _WHEN),
                ),
                body=notice_text(gettext_noop("Use them on a reward before then.")),
                object_ids=[pk for pk, _remaining, _at in member_lots],
            )


def promotions_ending(*, now: datetime, horizon: datetime) -> QuerySet[Promotion]:
    """Active promotions running now whose end falls within the horizon."""
    return Promotion.objects.filter(is_active=True, ends_at__gt=now, ends_at__lte=horizon).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now)
    )


def promotion_store_visited(promotion: Promotion) -> Exists | None:
    """The store condition of who a promotion is for, on members: visited one
    of its stores; None for a promotion at every store (member days and
    weekday hours apply to every member)."""
    stores = promotion.stores
    return Exists(Visit.objects.filter(member=OuterRef("pk"), store_slug__in=stores)) if stores else None


def promotion_members(promotion: Promotion) -> QuerySet[Member]:
    """Who a promotion is for: everyone, or for a promotion at some stores,
    members who have visited one of them."""
    members = Member.objects.filter(anonymised_at__isnull=True)
    visited = promotion_store_visited(promotion)
    return members if visited is None else members.filter(visited)


def _promotions_due(*, now: datetime, horizon: datetime) -> Iterator[_Due]:
    for promotion in promotions_ending(now=now, horizon=horizon).order_by("ends_at", "pk"):
        assert promotion.ends_at is not None  # filtered on it
        told = Reminder.objects.filter(kind=Reminder.Kind.PROMOTION, object_id=promotion.pk, member=OuterRef("pk"))
        members = (
            promotion_members(promotion)
            .filter(pk__in=_reachable(notice_kind=Notice.Kind.OFFER))
            .exclude(Exists(told))
            .order_by("pk")
        )
        title = notice_text(
            gettext_noop("%(promotion)s ends on %(date)s"),
            promotion=promotion.name,
            date=notice_datetime(promotion.ends_at, _WHEN),
        )
        body = notice_text(gettext_noop("Come in before then to earn its extra points."))
        for member in members.iterator(chunk_size=REMINDER_BATCH):
            if promotion_holds_out(promotion=promotion, member_id=member.pk):
                continue  # not theirs to earn: no reminder (nor a row, so lowering the holdout later reaches them)
            yield _Due(member=member, title=title, body=body, object_ids=[promotion.pk])


_NOTICE: dict[str, tuple[str, str]] = {
    Reminder.Kind.COUPON: (Notice.Kind.OFFER, "/offers/"),
    Reminder.Kind.REWARD: (Notice.Kind.OFFER, "/offers/"),
    Reminder.Kind.POINTS: (Notice.Kind.POINTS, "/me/points/"),
    Reminder.Kind.PROMOTION: (Notice.Kind.OFFER, "/"),
}


def _chunks(due: Iterable[_Due]) -> Iterator[list[_Due]]:
    chunk: list[_Due] = []
    for item in due:
        chunk.append(item)
        if len(chunk) == REMINDER_BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _remind(*, kind: str, due: Iterable[_Due], now: datetime) -> int:
    """Record and send each reminder, a batch per transaction: a member is
    marked reminded only together with the notice that tells them."""
    notice_kind, link = _NOTICE[kind]
    told = 0
    for chunk in _chunks(due):
        try:
            with transaction.atomic(), notices_batched():
                Reminder.objects.bulk_create(
                    Reminder(member=item.member, kind=kind, object_id=object_id, sent_at=now)
                    for item in chunk
                    for object_id in item.object_ids
                )
                for item in chunk:
                    notice_send(member=item.member, kind=notice_kind, title=item.title, body=item.body, link=link)
        except IntegrityError:
            continue  # a concurrent run told some of them; the next run tells the rest
        told += len(chunk)
    return told


def reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Send every ends-soon reminder due now; how many members were told, per
    kind. Nothing in quiet hours. Idempotent."""
    now = now or timezone.now()
    if messages_wait_until(now=now) is not None:
        return {}
    horizon = now + timedelta(days=PointsPolicy.current().reminder_days)
    due = {
        Reminder.Kind.COUPON: _coupons_due(kind=Reminder.Kind.COUPON, now=now, horizon=horizon),
        Reminder.Kind.REWARD: _coupons_due(kind=Reminder.Kind.REWARD, now=now, horizon=horizon),
        Reminder.Kind.POINTS: _points_due(now=now, horizon=horizon),
        Reminder.Kind.PROMOTION: _promotions_due(now=now, horizon=horizon),
    }
    return {str(kind): _remind(kind=kind, due=items, now=now) for kind, items in due.items()}
