"""Member notices: the inbox row every app writes through `notice_send` (its
texts shown again in the reader's language: members.notice_texts), and its
email, in the member's language, when the member consented to the notice's
purpose (held back through quiet hours)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django_tasks import task

from cafe_loyalty.core.rows import rows_insert
from members.models import Consent, Member, Notice, PointsPolicy
from members.notice_texts import (
    NoticeData,
    NoticeJoin,
    NoticeLower,
    NoticeMarker,
    NoticeText,
    NoticeValue,
    render_value,
    value_json,
)
from members.selectors import consent_current, consent_granted, consents_current

# Which consent purpose lets a notice of each kind go out by email.
EMAIL_PURPOSE: dict[str, str] = {
    Notice.Kind.WALLET: Consent.Purpose.ACTIVITY,
    Notice.Kind.POINTS: Consent.Purpose.ACTIVITY,
    Notice.Kind.TIER: Consent.Purpose.ACTIVITY,
    Notice.Kind.SECURITY: Consent.Purpose.ACTIVITY,
    Notice.Kind.ORDER: Consent.Purpose.ACTIVITY,
    Notice.Kind.OFFER: Consent.Purpose.MARKETING,
    Notice.Kind.FEEDBACK: Consent.Purpose.FEEDBACK,
    Notice.Kind.NEWS: Consent.Purpose.MARKETING,
}


# Every purpose some notice may be emailed for (read with the member's row on a payment).
EMAIL_CONSENT_PURPOSES: tuple[str, ...] = tuple(sorted(set(EMAIL_PURPOSE.values())))


class NoticeRecipient(NamedTuple):
    """What writing a notice needs of a member, without a model instance."""

    pk: int
    email: str
    preferred_language: str


def member_language(member: Member | NoticeRecipient) -> str:
    language = member.preferred_language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def notice_text(message: str, **params: Any) -> NoticeValue:
    """A notice text, translated in the language of whoever reads it:
    `notice_text(gettext_noop("Paid %(amount)s"), amount=notice_money(…))`.
    Parameters may be plain text, numbers, other notice values, or a
    `gettext_lazy` (a choice's label): all are rendered again when shown."""
    return NoticeText(message, params)


def notice_data(instance: Any, field: str) -> NoticeValue:
    """A translatable field of a row (a tier's name, a product's name), read in
    the reader's language when the notice is shown, or as written if the row
    is gone: `notice_text(gettext_noop("Welcome to %(tier)s"), tier=notice_data(tier, "name"))`."""
    return NoticeData(instance, field)


def notice_money(amount: int, *, signed: bool = False) -> NoticeValue:
    """An amount in minor units, formatted in the reader's locale when shown."""
    return NoticeMarker({"money": int(amount), "signed": True} if signed else {"money": int(amount)})


def notice_number(number: int, *, signed: bool = False) -> NoticeValue:
    """A count (points), grouped as the reader's locale groups; `signed` adds + to gains."""
    return NoticeMarker({"number": int(number), "signed": True} if signed else {"number": int(number)})


def notice_datetime(moment: datetime, fmt: str) -> NoticeValue:
    """A moment, shown in local time in the Django date format `fmt`."""
    return NoticeMarker({"datetime": moment.isoformat(), "format": fmt})


def notice_join(*values: Any, sep: str = "") -> NoticeValue:
    """Values one after another (a receipt's lines with sep="\\n")."""
    return NoticeJoin(values, sep)


def notice_lower(value: Any) -> NoticeValue:
    """A value in lower case, as it reads inside a sentence ("paid by card")."""
    return NoticeLower(value)


def notice_send(*, member: Member, kind: str, title: Any, body: Any = "", link: str = "") -> None:
    """Put a notice in the member's inbox, inside the caller's transaction: it
    commits with the movement it describes, or not at all, so a rolled-back
    payment never tells the member it happened. Inside `notices_batched()` the
    notice is queued and written when the block ends.

    Title and body may be notice values (`notice_text`): they are written in
    the member's language, whoever caused the notice (a till in English, a
    manager in the admin), for the email and the admin, and kept in `texts` so
    the inbox renders them again in the reader's language. Plain text (a
    manager's reply) is kept as it is."""
    with translation.override(member_language(member)):
        title_json, body_json = value_json(title), value_json(body)
        title_text, body_text = render_value(title_json), render_value(body_json)
    texts = {part: value for part, value in (("title", title_json), ("body", body_json)) if isinstance(value, dict)}
    notice = Notice(member=member, kind=kind, title=title_text[:160], body=body_text, link=link, texts=texts)
    queued: list[Notice] | None = getattr(_notice_batch, "pending", None)
    if queued is not None:
        queued.append(notice)
        return
    notice.save(force_insert=True)
    _email_if_consented(notice)


_notice_batch = threading.local()


@contextmanager
def notices_batched() -> Iterator[None]:
    """Queue the notices sent inside the block and write them with one INSERT
    when it ends without an error (a payment sends three: points, feedback,
    wallet). Use it inside the caller's transaction, so the notices still
    commit or roll back with the movement; nested blocks join the outer one."""
    if getattr(_notice_batch, "pending", None) is not None:
        yield
        return
    _notice_batch.pending = []
    try:
        yield
        pending: list[Notice] = _notice_batch.pending
    finally:
        _notice_batch.pending = None
    written = rows_insert(pending)
    _remember_consents([notice.member for notice in written if _email_purpose(notice)])
    for notice in written:
        _email_if_consented(notice)


def notices_send_alike(*, kind: str, link: str, sends: Sequence[tuple[NoticeRecipient, NoticeValue]]) -> None:
    """`notice_send(member=…, kind=kind, title=…, link=link)` for many members
    at once, in the caller's transaction, with the same rows and emails: what
    the nightly expiry tells tens of thousands of members. A title object is
    rendered once per language however many members it goes to (pass the same
    object for the same words), and no model instance is made: per notice,
    rendering and instances cost more than writing it."""
    rendered: dict[tuple[int, str], tuple[str, dict[str, Any]]] = {}
    rows: list[tuple[int, tuple[str, dict[str, Any]]]] = []
    for recipient, title in sends:
        language = member_language(recipient)
        key = (id(title), language)
        if key not in rendered:
            with translation.override(language):
                title_json = value_json(title)
                rendered[key] = (
                    render_value(title_json)[:160],
                    {"title": title_json} if isinstance(title_json, dict) else {},
                )
        rows.append((recipient.pk, rendered[key]))
    written = _notices_insert(kind=kind, link=link, rows=rows)
    purpose = EMAIL_PURPOSE.get(kind)
    emailed = [recipient.pk for recipient, _title in sends if recipient.email] if purpose else []
    consenting: set[int] = set()
    for start in range(0, len(emailed), _CONSENT_READ_BATCH):
        found = consents_current(member_ids=emailed[start : start + _CONSENT_READ_BATCH])
        consenting.update(pk for pk, choices in found.items() if choices.get(("email", str(purpose)), False))
    for notice_pk, member_pk in written:
        if member_pk in consenting:
            _email_later(notice_pk)


# Members whose consents one query reads (an IN list of their ids).
_CONSENT_READ_BATCH = 1_000


def _notices_insert(
    *, kind: str, link: str, rows: list[tuple[int, tuple[str, dict[str, Any]]]]
) -> list[tuple[int, int]]:
    """Write one notice per row (member id, (title, texts)); returns (notice id, member id) pairs."""
    if not rows:
        return []
    now = timezone.now()
    if connection.vendor != "postgresql":
        notices = [
            Notice(member_id=pk, kind=kind, title=t, body="", texts=x, link=link, created_at=now) for pk, (t, x) in rows
        ]
        return [(notice.pk, notice.member_id) for notice in Notice.objects.bulk_create(notices)]
    # Each distinct text once, and per notice two integers: the member and
    # which text (sending every column per row costs more than the INSERT).
    texts: dict[int, int] = {}
    titles: list[str] = []
    stored: list[str] = []
    which: list[int] = []
    for _pk, text in rows:
        if id(text) not in texts:
            texts[id(text)] = len(titles) + 1
            titles.append(text[0])
            stored.append(json.dumps(text[1]))
        which.append(texts[id(text)])
    # Only the table name (model metadata) is interpolated; values are bound.
    table = Notice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (member_id, kind, title, body, texts, link, created_at) "  # noqa: S608
            "SELECT t.member_id, %s, d.title, '', d.texts::jsonb, %s, %s "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS t(member_id, n) "
            "JOIN unnest(%s::text[], %s::text[]) WITH ORDINALITY AS d(title, texts, n) USING (n) "
            "RETURNING id, member_id",
            [kind, link, now, [pk for pk, _text in rows], which, titles, stored],
        )
        return [(int(notice_pk), int(member_pk)) for notice_pk, member_pk in cursor.fetchall()]


def notices_mark_read(*, member: Member) -> int:
    return Notice.objects.filter(member=member, read_at__isnull=True).update(read_at=timezone.now())


# --- Email: only with consent, never in quiet hours ------------------------------


def _email_purpose(notice: Notice) -> str | None:
    """The consent an email of this notice needs, if one could be sent at all."""
    return EMAIL_PURPOSE.get(notice.kind) if notice.member.email else None


def _email_if_consented(notice: Notice) -> None:
    """Email the notice after commit when the member opted in for its purpose,
    holding it until quiet hours end."""
    purpose = _email_purpose(notice)
    if purpose is None or not _consents(notice.member).get(("email", purpose), False):
        return
    _email_later(notice.pk)


def _email_later(notice_pk: int) -> None:
    """Enqueue the notice's email after commit, held until quiet hours end."""
    later = quiet_hours_end(timezone.now(), PointsPolicy.current())
    if later and not send_notice_email.get_backend().supports_defer:
        return  # no deferred delivery available: the inbox has it; skip the night-time email
    email = send_notice_email.using(run_after=later) if later else send_notice_email
    transaction.on_commit(lambda: email.enqueue(notice_pk))


# A payment sends the member several notices; their consents are read once per
# Member instance (instances live for one request or job). Recording a consent
# through consent_record or anonymising forgets the memo on that instance.
_CONSENT_MEMO = "_consent_memo"


def _consents(member: Member) -> dict[tuple[str, str], bool]:
    memo: dict[tuple[str, str], bool] | None = member.__dict__.get(_CONSENT_MEMO)
    if memo is None:
        memo = consent_current(member=member)
        member.__dict__[_CONSENT_MEMO] = memo
    return memo


def _remember_consents(members: list[Member]) -> None:
    """Read the consents of a batch's members in one query, not one per member
    (the nightly expiry tells thousands at once)."""
    unread: dict[int, list[Member]] = {}
    for member in members:
        if _CONSENT_MEMO not in member.__dict__:
            unread.setdefault(member.pk, []).append(member)
    if not unread:
        return
    found = consents_current(member_ids=list(unread))
    for pk, instances in unread.items():
        for member in instances:
            member.__dict__[_CONSENT_MEMO] = found.get(pk, {})


def consents_remember(member: Member, email_consents: dict[tuple[str, str], bool]) -> None:
    """Remember consents the caller read with the member's row (members.tiers
    reads every EMAIL_CONSENT_PURPOSES one with the order's member lock); only
    email ones are ever looked up here."""
    member.__dict__[_CONSENT_MEMO] = email_consents


def forget_consents(member: Member) -> None:
    """Drop the consent memo on this instance (its consents just changed)."""
    member.__dict__.pop(_CONSENT_MEMO, None)


def quiet_hours_end(now: datetime, policy: PointsPolicy) -> datetime | None:
    """If `now` falls in the programme's quiet hours, when they end."""
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start is None or end is None:
        return None
    local = timezone.localtime(now)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return end_today if end_today > local else end_today + timedelta(days=1)


def messages_wait_until(*, now: datetime) -> datetime | None:
    """Messages the programme chooses when to send (scheduled broadcasts,
    ends-soon reminders) are not sent in quiet hours at all, inbox included:
    None when they may go now, else when quiet hours end."""
    return quiet_hours_end(now, PointsPolicy.current())


@task()
def send_notice_email(notice_id: int) -> None:
    notice = Notice.objects.select_related("member").filter(pk=notice_id, emailed_at__isnull=True).first()
    if notice is None or not notice.member.email:
        return
    # Checked again at sending time: an email held for quiet hours must not go
    # out if the member withdrew their consent meanwhile.
    purpose = EMAIL_PURPOSE.get(Notice.Kind(notice.kind))
    if purpose is None or not consent_granted(member=notice.member, channel="email", purpose=purpose):
        return
    send_mail(
        subject=notice.title, message=f"{notice.body}\n".lstrip(), from_email=None, recipient_list=[notice.member.email]
    )
    Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
