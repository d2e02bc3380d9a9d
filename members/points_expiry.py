"""Points expiry: the nightly job that expires every lot whose time has come,
and the one notice a member gets for expired points (from the job, or when a
spend expires them first: members.points)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from members.models import Member, PointsEntry, PointsLot
from members.notice_texts import NoticeValue
from members.notices import NoticeRecipient, notice_number, notice_send, notice_text, notices_send_alike


def _expired_title(points: int) -> NoticeValue:
    return notice_text(gettext_noop("%(points)s points expired"), points=notice_number(points))


EXPIRED_LINK = "/me/points/"


def points_tell_expired(member: Member, points: int) -> None:
    """The one notice (and, with consent, email) for expired points, whether a
    spend expired them or the nightly job did (points_expire_due, which
    writes the same notice for many members at once)."""
    notice_send(member=member, kind="points", title=_expired_title(points), link=EXPIRED_LINK)


# The nightly job writes notices for this many members per INSERT.
EXPIRY_NOTICE_BATCH = 10_000


def points_expire_due(*, now: datetime | None = None) -> int:
    """Expire every lot whose time has come, set-based (a few statements however
    many lots), and idempotent: expired lots have nothing left to expire.
    Each member who lost points is told as when a spend expires them: the same
    notice in their language, emailed if they consented, written per member in
    batches of EXPIRY_NOTICE_BATCH (points_tell_expired's notice, through
    notices_send_alike). Returns the number of lots expired."""
    now = now or timezone.now()
    lots = PointsLot._meta.db_table
    entries = PointsEntry._meta.db_table
    members = Member._meta.db_table
    due = f"{lots}.remaining > 0 AND {lots}.expires_at <= %s"
    # Raw SQL gets the time exactly as the ORM stores it (UTC text on SQLite).
    now_db = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Same lock order as spending (member rows first), so a spend and
            # the expiry job wait for each other instead of deadlocking.
            cursor.execute(
                f"SELECT count(*) FROM (SELECT id FROM {members} WHERE id IN "
                f"(SELECT member_id FROM {lots} WHERE {due}) ORDER BY id FOR UPDATE) locked",
                [now_db],
            )
        # Who loses how much, read after the locks so it matches the statements
        # below, with what the notices need of each member (language, email).
        # Plain rows, not Member instances (tens of thousands of them a night).
        cursor.execute(
            f"SELECT m.id, m.email, m.preferred_language, t.points FROM {members} m "
            f"JOIN (SELECT member_id, SUM(remaining) AS points FROM {lots} WHERE {due} GROUP BY member_id) t "
            f"ON t.member_id = m.id ORDER BY m.id",
            [now_db],
        )
        expired = [(NoticeRecipient(int(pk), email, language), int(points)) for pk, email, language, points in cursor]
        if connection.vendor == "postgresql":
            # The totals just read, sent back as two arrays: the lots are not
            # summed twice more (a good part of the job's time at a million lots).
            ids = [recipient.pk for recipient, _points in expired]
            points = [points for _recipient, points in expired]
            cursor.execute(
                f"INSERT INTO {entries} (member_id, kind, points, source, reference, explanation, created_at) "
                f"SELECT t.member_id, 'expire', -t.points, 'expiry', '', 'Points expired', %s "
                f"FROM unnest(%s::bigint[], %s::bigint[]) AS t(member_id, points)",
                [now_db, ids, points],
            )
            cursor.execute(
                f"UPDATE {members} SET points_balance = points_balance - t.points "
                f"FROM unnest(%s::bigint[], %s::bigint[]) AS t(member_id, points) WHERE {members}.id = t.member_id",
                [ids, points],
            )
        else:
            cursor.execute(
                f"INSERT INTO {entries} (member_id, kind, points, source, reference, explanation, created_at) "
                f"SELECT member_id, 'expire', -SUM(remaining), 'expiry', '', 'Points expired', %s "
                f"FROM {lots} WHERE {due} GROUP BY member_id",
                [now_db, now_db],
            )
            cursor.execute(
                f"UPDATE {members} SET points_balance = points_balance - (SELECT SUM(remaining) FROM {lots} "
                f"WHERE {lots}.member_id = {members}.id AND {due}) "
                f"WHERE id IN (SELECT member_id FROM {lots} WHERE {due})",
                [now_db, now_db],
            )
        cursor.execute(
            f"UPDATE {lots} SET remaining = 0, expired_at = %s WHERE remaining > 0 AND expires_at <= %s",
            [now_db, now_db],
        )
        expired_lots = int(cursor.rowcount)
        # One title object per number of points: rendered once per language.
        titles = {points: _expired_title(points) for points in {points for _recipient, points in expired}}
        for start in range(0, len(expired), EXPIRY_NOTICE_BATCH):
            sends = [(recipient, titles[points]) for recipient, points in expired[start : start + EXPIRY_NOTICE_BATCH]]
            notices_send_alike(kind="points", link=EXPIRED_LINK, sends=sends)
        return expired_lots
