"""The points ledger: earn into lots, spend oldest-expiry first, expire, adjust,
and reverse on refunds.

Invariant kept by every function here (checked by `manage.py check_points`):
a member's cached `points_balance` equals the sum of their entries and the sum
of their unexpired lots' `remaining`. Each function locks the member row first
(then lots in FIFO order), so concurrent spends never overdraw.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.rows import row_add, row_create
from members.exceptions import InsufficientPoints
from members.models import Member, PointsEntry, PointsLot, PointsPolicy, PointsRefundStep, PointsShortfall
from members.notices import member_language, notice_number, notice_send, notice_text
from members.points_expiry import points_tell_expired


def _lock_member(member: Member) -> Member:
    return Member.objects.select_for_update(of=("self",)).get(pk=member.pk)


def expiry_for(*, earned_at: datetime, policy: PointsPolicy) -> datetime:
    """When points earned at `earned_at` expire, at local midnight in the
    programme's time zone (so a member reads one clear date)."""
    local = timezone.localtime(earned_at)
    if policy.expiry_mode == PointsPolicy.ExpiryMode.END_OF_FOLLOWING_YEAR:
        return local.replace(year=local.year + 2, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    month_index = local.month - 1 + policy.expiry_months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    expires = local.replace(year=year, month=month, day=day, hour=0, minute=0, second=0, microsecond=0)
    return expires + timedelta(days=1)


def _expire_member_due(member: Member, now: datetime) -> int:
    """Expire this (locked) member's overdue lots now rather than waiting for the
    nightly job, so what can be spent always equals the balance."""
    due = list(PointsLot.objects.select_for_update().filter(member=member, remaining__gt=0, expires_at__lte=now))
    total = sum(lot.remaining for lot in due)
    if not total:
        return 0
    PointsLot.objects.filter(pk__in=[lot.pk for lot in due]).update(remaining=0, expired_at=now)
    PointsEntry.objects.create(
        member=member,
        kind=PointsEntry.Kind.EXPIRE,
        points=-total,
        source="expiry",
        explanation="Points expired",
        created_at=now,
    )
    Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") - total)
    member.points_balance -= total
    points_tell_expired(member, total)
    return total


def _consume_fifo(member: Member, points: int, now: datetime) -> int:
    """Take up to `points` from live lots, soonest expiry first; returns taken."""
    taken = 0
    lots = (
        PointsLot.objects.select_for_update()
        .filter(member=member, remaining__gt=0, expires_at__gt=now)
        .order_by("expires_at", "earned_at", "pk")
    )
    for lot in lots:
        if taken >= points:
            break
        take = min(lot.remaining, points - taken)
        PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        taken += take
    return taken


def _add_lot(member: Member, points: int, *, source: str, reference: str, now: datetime) -> PointsLot:
    lot: PointsLot = row_create(
        PointsLot,
        member=member,
        points=points,
        remaining=points,
        earned_at=now,
        expires_at=expiry_for(earned_at=now, policy=PointsPolicy.current()),
        source=source,
        reference=reference,
    )
    return lot


def points_earn(
    *,
    member: Member,
    points: int,
    source: str,
    reference: str,
    explanation: Any = "",
    earned_at: datetime | None = None,
    already_locked: bool = False,
    notify: bool = True,
) -> PointsLot | None:
    """Credit points as a new lot (None when there is nothing to credit).
    `notify` False: the caller tells the member (a paid order's receipt does).

    `already_locked` says the caller holds the member row lock in its
    transaction and `member` is fresh (the paid-order path), saving a query."""
    if points <= 0:
        return None
    now = earned_at or timezone.now()
    with translation.override(member_language(member)):
        # May be a notice_text: the entry keeps it in the member's language,
        # the notice keeps it to render again in the reader's.
        explanation_text = str(explanation)
    # No savepoint: an error here aborts the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        locked = member if already_locked else _lock_member(member)
        lot = _add_lot(locked, points, source=source, reference=reference, now=now)
        row_create(
            PointsEntry,
            member=locked,
            kind=PointsEntry.Kind.EARN,
            points=points,
            source=source,
            reference=reference,
            explanation=explanation_text,
            created_at=now,
        )
        row_add(Member, member.pk, points_balance=points)
        if notify:
            notice_send(
                member=locked,
                kind="points",
                title=notice_text(gettext_noop("+%(points)s points"), points=notice_number(points)),
                body=explanation
                if explanation_text
                else notice_text(
                    gettext_noop("Balance %(balance)s points."), balance=notice_number(locked.points_balance + points)
                ),
                link="/me/points/",
            )
    member.points_balance = locked.points_balance + points
    return lot


def points_spend(*, member: Member, points: int, source: str, reference: str) -> PointsEntry:
    """Spend points, soonest-expiring lots first; refuses more than the balance."""
    if points <= 0:
        raise ValueError("points to spend must be positive")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_member(member)
        _expire_member_due(locked, now)
        if locked.points_balance < points:
            raise InsufficientPoints(
                _("You have %(balance)s points; this needs %(points)s.")
                % {"balance": locked.points_balance, "points": points}
            )
        taken = _consume_fifo(locked, points, now)
        if taken != points:  # balance and lots disagree: never paper over it
            raise RuntimeError(f"points ledger inconsistent for member {member.pk}")
        entry = PointsEntry.objects.create(
            member=locked,
            kind=PointsEntry.Kind.SPEND,
            points=-points,
            source=source,
            reference=reference,
            created_at=now,
        )
        Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") - points)
        notice_send(
            member=locked,
            kind="points",
            title=notice_text(gettext_noop("−%(points)s points"), points=notice_number(points)),
            body=source,
            link="/me/points/",
        )
    member.points_balance = locked.points_balance - points
    return entry


def points_adjust(*, member: Member, points: int, reason: str, actor: object = None) -> PointsEntry:
    """A manager's correction, with its reason. Negative adjustments take what
    is there, never below zero."""
    if points == 0 or not reason.strip():
        raise ValueError("an adjustment needs non-zero points and a reason")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_member(member)
        _expire_member_due(locked, now)
        if points > 0:
            _add_lot(locked, points, source="adjustment", reference="", now=now)
            applied = points
        else:
            applied = -_consume_fifo(locked, min(-points, locked.points_balance), now)
            if applied == 0:
                raise InsufficientPoints(_("The member has no points to take."))
        entry = PointsEntry.objects.create(
            member=locked,
            kind=PointsEntry.Kind.ADJUST,
            points=applied,
            source="adjustment",
            explanation=reason,
            actor=actor,
            created_at=now,  # type: ignore[misc]
        )
        Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") + applied)
        notice_send(
            member=locked,
            kind="points",
            title=notice_text(gettext_noop("Points adjusted %(points)s"), points=notice_number(applied, signed=True)),
            body=reason,
            link="/me/points/",
        )
    return entry


@dataclass(frozen=True)
class PointsReversal:
    points_reversed: int
    points_restored: int
    shortfall: int


def points_reverse_for_refund(
    *,
    member: Member,
    reference: str,
    refund_amount: int,
    original_amount: int,
    refund_reference: str,
    restore_share: tuple[int, int] | None = None,
) -> PointsReversal:
    """Take back the points an order earned, in proportion to the refunded
    share, and give back the points it spent: in the same proportion, or, when
    the order says how much of its points tender it gave back so far
    (`restore_share` = (refunded so far, paid with points)), in that one.
    Partial refunds add up exactly: each step brings the order to (earned ×
    refunded so far ÷ total) reversed. What
    the member already spent cannot be taken: that shortfall is recorded for
    managers. Calling again with the same refund_reference changes nothing."""
    if refund_amount <= 0 or original_amount <= 0:
        return PointsReversal(0, 0, 0)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_member(member)
        _expire_member_due(locked, now)
        done = PointsRefundStep.objects.filter(refund_reference=refund_reference).first()
        if done is not None:
            return PointsReversal(done.points_reversed, done.points_restored, done.shortfall)
        entries = PointsEntry.objects.filter(member=locked, reference=reference)
        earned = entries.filter(kind=PointsEntry.Kind.EARN).aggregate(s=Sum("points"))["s"] or 0
        spent = -(entries.filter(kind=PointsEntry.Kind.SPEND).aggregate(s=Sum("points"))["s"] or 0)
        before = PointsRefundStep.objects.filter(member=locked, reference=reference).aggregate(
            amount=Sum("refund_amount"),
            reversed=Sum("points_reversed"),
            short=Sum("shortfall"),
            restored=Sum("points_restored"),
        )
        refunded_total = min(original_amount, (before["amount"] or 0) + refund_amount)
        to_reverse = earned * refunded_total // original_amount - (before["reversed"] or 0) - (before["short"] or 0)
        restored_part, restore_whole = restore_share or (refunded_total, original_amount)
        to_restore = spent * restored_part // max(restore_whole, 1) - (before["restored"] or 0)
        to_reverse, to_restore = max(to_reverse, 0), max(to_restore, 0)
        taken = _consume_fifo(locked, min(to_reverse, locked.points_balance), now) if to_reverse else 0
        short = to_reverse - taken
        if taken:
            PointsEntry.objects.create(
                member=locked,
                kind=PointsEntry.Kind.REVERSE,
                points=-taken,
                source="refund",
                reference=reference,
                explanation=f"Refund {refund_reference}",
                created_at=now,
            )
        if short:
            PointsShortfall.objects.create(member=locked, reference=reference, points=short, created_at=now)
        if to_restore:
            _add_lot(locked, to_restore, source="refund", reference=reference, now=now)
            PointsEntry.objects.create(
                member=locked,
                kind=PointsEntry.Kind.RESTORE,
                points=to_restore,
                source="refund",
                reference=reference,
                explanation=f"Refund {refund_reference}",
                created_at=now,
            )
        PointsRefundStep.objects.create(
            member=locked,
            reference=reference,
            refund_reference=refund_reference,
            refund_amount=refund_amount,
            points_reversed=taken,
            points_restored=to_restore,
            shortfall=short,
            created_at=now,
        )
        delta = to_restore - taken
        if delta:
            Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") + delta)
        if taken or to_restore:
            notice_send(
                member=locked,
                kind="points",
                title=notice_text(
                    gettext_noop("Points %(points)s after a refund"), points=notice_number(delta, signed=True)
                ),
                body=notice_text(
                    gettext_noop("%(reversed)s reversed, %(restored)s restored."),
                    reversed=notice_number(taken),
                    restored=notice_number(to_restore),
                ),
                link="/me/points/",
            )
    member.points_balance = locked.points_balance + delta
    return PointsReversal(points_reversed=taken, points_restored=to_restore, shortfall=short)
