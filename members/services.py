"""Every write to members goes through here (keyword-only, transactional)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import django.dispatch
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from members.cards import generate_card_number
from members.exceptions import BirthdayChangeTooSoon, MemberExists
from members.models import Consent, Member

BIRTHDAY_CHANGE_INTERVAL = timedelta(days=365)

# Sent inside member_anonymise's transaction: kwargs member.
member_anonymised = django.dispatch.Signal()


def member_create(
    *,
    user: Any,
    display_name: str,
    email: str = "",
    phone: str = "",
    preferred_language: str = "en",
) -> Member:
    """Create a member with a fresh card number (retrying the rare collision)."""
    for _attempt in range(8):
        try:
            with transaction.atomic():
                return Member.objects.create(
                    user=user,
                    card_number=generate_card_number(),
                    display_name=display_name.strip() or (email.split("@")[0] if email else "Member"),
                    email=email.lower(),
                    phone=phone.strip(),
                    preferred_language=preferred_language,
                )
        except IntegrityError:
            if user is not None and Member.objects.filter(user=user).exists():
                return Member.objects.get(user=user)
    raise RuntimeError("could not allocate a unique card number")


def member_get_or_create_for_user(*, user: Any) -> Member:
    member = Member.objects.filter(user=user).first()
    if member is not None:
        return member
    email = getattr(user, "email", "") or ""
    name = (getattr(user, "first_name", "") or "").strip()
    return member_create(user=user, display_name=name, email=email)


def member_enrol_at_till(*, email: str, name: str, phone: str = "") -> Member:
    """Enrol a customer from the till or a kiosk: an account without a password
    that the member claims later through password reset."""
    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists() or Member.objects.filter(email__iexact=email).exists():
            raise MemberExists(_("%(email)s is already a member.") % {"email": email})
        user = User.objects.create_user(username=email[:150], email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        return member_create(user=user, display_name=name, email=email, phone=phone)


def member_update_profile(
    *,
    member: Member,
    display_name: str,
    phone: str,
    preferred_language: str,
    birthday: date | None,
) -> Member:
    """Birthday may be set any time it is empty, then changed once a year, so that
    the birthday reward cannot be farmed by moving the date around."""
    now = timezone.now()
    update = ["display_name", "phone", "preferred_language"]
    if birthday != member.birthday:
        if (
            member.birthday is not None
            and member.birthday_changed_at is not None
            and now - member.birthday_changed_at < BIRTHDAY_CHANGE_INTERVAL
        ):
            raise BirthdayChangeTooSoon(_("You changed your birthday less than a year ago."))
        member.birthday = birthday
        member.birthday_changed_at = now
        update += ["birthday", "birthday_changed_at"]
    member.display_name = display_name.strip()
    member.phone = phone.strip()
    member.preferred_language = preferred_language
    member.save(update_fields=update)
    return member


def consent_record(
    *, member: Member, channel: str, purpose: str, granted: bool, source: str = "portal"
) -> Consent | None:
    """Record a consent choice with its time; nothing is written if unchanged."""
    current = (
        Consent.objects.filter(member=member, channel=channel, purpose=purpose)
        .order_by("-recorded_at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    if current is not None and current == granted:
        return None
    if current is None and not granted:
        return None
    _forget_consents(member)
    return Consent.objects.create(member=member, channel=channel, purpose=purpose, granted=granted, source=source)


def notice_send(*, member: Member, kind: str, title: Any, body: Any = "", link: str = "") -> None:
    """Put a notice in the member's inbox, inside the caller's transaction: it
    commits with the movement it describes, or not at all, so a rolled-back
    payment never tells the member it happened. Inside `notices_batched()` the
    notice is queued and written when the block ends.

    Title and body may be lazy translations (`notice_text`): they are written
    in the member's language, whoever caused the notice (a till in English, a
    manager in the admin)."""
    from members.models import Notice

    with translation.override(member_language(member)):
        title, body = str(title), str(body)
    notice = Notice(member=member, kind=kind, title=title[:160], body=body, link=link)
    queued: list[Notice] | None = getattr(_notice_batch, "pending", None)
    if queued is not None:
        queued.append(notice)
        return
    notice.save(force_insert=True)
    _email_if_consented(notice)


def member_language(member: Member) -> str:
    language = member.preferred_language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def notice_text(message: str, **params: Any) -> Any:
    """A notice text translated when it is written, in the member's language:
    `notice_text(gettext_noop("Paid %(amount)s"), amount=…)`. Parameters may be
    lazy translations too."""
    return lazy(lambda: gettext(message) % {k: str(v) for k, v in params.items()}, str)()


_notice_batch = threading.local()


@contextmanager
def notices_batched() -> Iterator[None]:
    """Queue the notices sent inside the block and write them with one INSERT
    when it ends without an error (a payment sends three: points, feedback,
    wallet). Use it inside the caller's transaction, so the notices still
    commit or roll back with the movement; nested blocks join the outer one."""
    from members.models import Notice

    if getattr(_notice_batch, "pending", None) is not None:
        yield
        return
    _notice_batch.pending = []
    try:
        yield
        pending: list[Notice] = _notice_batch.pending
    finally:
        _notice_batch.pending = None
    for notice in Notice.objects.bulk_create(pending):
        _email_if_consented(notice)


def _email_if_consented(notice: Any) -> None:
    """Email the notice after commit when the member opted in for its purpose,
    holding it until quiet hours end."""
    from members.models import PointsPolicy
    from members.tasks import EMAIL_PURPOSE, quiet_hours_end, send_notice_email

    purpose = EMAIL_PURPOSE.get(notice.kind)
    member = notice.member
    if purpose is None or not member.email or not _consents(member).get(("email", purpose), False):
        return
    later = quiet_hours_end(timezone.now(), PointsPolicy.current())
    task = (
        send_notice_email.using(run_after=later)
        if later and send_notice_email.get_backend().supports_defer
        else send_notice_email
    )
    if later and not send_notice_email.get_backend().supports_defer:
        return  # no deferred delivery available: the inbox has it; skip the night-time email
    transaction.on_commit(lambda: task.enqueue(notice.pk))


# A payment sends the member several notices; their consents are read once per
# Member instance (instances live for one request or job). Recording a consent
# through consent_record or anonymising forgets the memo on that instance.
_CONSENT_MEMO = "_consent_memo"


def _consents(member: Member) -> dict[tuple[str, str], bool]:
    from members.selectors import consent_current

    memo: dict[tuple[str, str], bool] | None = member.__dict__.get(_CONSENT_MEMO)
    if memo is None:
        memo = consent_current(member=member)
        member.__dict__[_CONSENT_MEMO] = memo
    return memo


def _forget_consents(member: Member) -> None:
    member.__dict__.pop(_CONSENT_MEMO, None)


def notices_mark_read(*, member: Member) -> int:
    from members.models import Notice

    return Notice.objects.filter(member=member, read_at__isnull=True).update(read_at=timezone.now())


def member_anonymise(*, member: Member) -> None:
    """Delete my account: personal data goes; the ledger rows stay, pointing at
    an anonymous member, because money and points history must still add up."""
    with transaction.atomic():
        user = member.user
        _forget_consents(member)
        Consent.objects.bulk_create(
            [
                Consent(member=member, channel=c, purpose=p, granted=False, source="account deleted")
                for c, _l in Consent.Channel.choices
                for p, _m in Consent.Purpose.choices
            ]
        )
        member.display_name = "Deleted member"
        member.email = ""
        member.phone = ""
        member.birthday = None
        member.user = None
        member.anonymised_at = timezone.now()
        member.save(update_fields=["display_name", "email", "phone", "birthday", "user", "anonymised_at"])
        member.notices.all().delete()
        if user is not None:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.filter(user=user).delete()
            user.email = ""
            user.username = f"deleted-{member.pk}-{user.pk}"
            user.first_name = user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        # Higher layers drop what they derived from the member (segments).
        member_anonymised.send(sender=Member, member=member)
