"""Messages without a coupon: news, a new drink, a festive greeting.

A manager writes a `Broadcast` in every language, picks an audience and a time,
and schedules it; `broadcasts_send_due` (`manage.py send_broadcasts`, every few
minutes) sends each one that is due: an inbox notice per member, rendered in
the reader's language, and an email where the member agreed to offers and news
by email (the notices' own path). Nothing goes out in quiet hours: a message
due then waits until they end. A member gets a broadcast once
(`BroadcastDelivery` is unique per member), so an interrupted or repeated run
sends only to those not yet reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from campaigns.models import Broadcast, BroadcastDelivery
from campaigns.selectors import broadcast_recipients
from members.models import Consent, Member, Notice
from members.notices import EMAIL_PURPOSE, messages_wait_until, notice_data, notice_send, notices_batched
from members.selectors import consents_current

# Members written per transaction (deliveries and notices, one INSERT each).
BROADCAST_BATCH = 500


@dataclass(frozen=True)
class BroadcastRun:
    broadcast: Broadcast
    sent: int
    by_email: int


def _send_to(*, broadcast: Broadcast, members: list[Member], now: datetime) -> tuple[int, int]:
    """Deliveries and notices for these members in one transaction: both or
    neither, so a member is never marked sent without the message."""
    purpose = EMAIL_PURPOSE[Notice.Kind.NEWS]
    consents = consents_current(member_ids=[member.pk for member in members])
    deliveries = [
        BroadcastDelivery(
            broadcast=broadcast,
            member=member,
            sent_at=now,
            # What the notice's email path will do (members.notices): counted for the admin.
            by_email=bool(member.email) and consents.get(member.pk, {}).get((Consent.Channel.EMAIL, purpose), False),
        )
        for member in members
    ]
    with transaction.atomic(), notices_batched():
        BroadcastDelivery.objects.bulk_create(deliveries)
        for member in members:
            notice_send(
                member=member,
                kind=Notice.Kind.NEWS,
                title=notice_data(broadcast, "title"),
                body=notice_data(broadcast, "body"),
                link=broadcast.link,
            )
    return len(members), sum(delivery.by_email for delivery in deliveries)


def broadcast_send(*, broadcast: Broadcast, now: datetime | None = None) -> BroadcastRun:
    """Send the broadcast to every member of its audience not yet reached,
    then mark it sent. Safe to rerun and to run twice at once: a batch that
    meets a delivery written meanwhile is sent again member by member."""
    now = now or timezone.now()
    sent = by_email = 0
    pending: QuerySet[Member] = broadcast_recipients(broadcast=broadcast, now=now)
    batch: list[Member] = []
    for member in pending.iterator(chunk_size=BROADCAST_BATCH):
        batch.append(member)
        if len(batch) == BROADCAST_BATCH:
            done = _send_batch(broadcast=broadcast, members=batch, now=now)
            sent, by_email, batch = sent + done[0], by_email + done[1], []
    if batch:
        done = _send_batch(broadcast=broadcast, members=batch, now=now)
        sent, by_email = sent + done[0], by_email + done[1]
    Broadcast.objects.filter(pk=broadcast.pk).update(status=Broadcast.Status.SENT, sent_at=now)
    broadcast.status, broadcast.sent_at = Broadcast.Status.SENT, now
    return BroadcastRun(broadcast=broadcast, sent=sent, by_email=by_email)


def _send_batch(*, broadcast: Broadcast, members: list[Member], now: datetime) -> tuple[int, int]:
    try:
        return _send_to(broadcast=broadcast, members=members, now=now)
    except IntegrityError:  # a concurrent run reached some of them first
        sent = by_email = 0
        for member in members:
            try:
                one = _send_to(broadcast=broadcast, members=[member], now=now)
            except IntegrityError:
                continue
            sent, by_email = sent + one[0], by_email + one[1]
        return sent, by_email


def broadcasts_send_due(*, now: datetime | None = None) -> list[BroadcastRun]:
    """Send every scheduled broadcast whose time has come, unless it is quiet
    hours (they wait until the hours end). Idempotent."""
    now = now or timezone.now()
    if messages_wait_until(now=now) is not None:
        return []
    due = Broadcast.objects.filter(status=Broadcast.Status.SCHEDULED, scheduled_at__lte=now).order_by("scheduled_at")
    return [broadcast_send(broadcast=broadcast, now=now) for broadcast in due]
