"""Every write to members goes through here (keyword-only, transactional)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import django.dispatch
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.cards import generate_card_number
from members.exceptions import BirthdayChangeTooSoon, MemberExists
from members.models import Consent, Member, Notice, tiers_by_rank
from members.notices import forget_consents

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
    """Create a member with a fresh card number (retrying the rare collision),
    in the entry tier: everyone starts there, and moves up as they earn."""
    tiers = tiers_by_rank()
    entry_tier = tiers[0] if tiers else None
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
                    tier=entry_tier,
                    tier_since=timezone.now() if entry_tier else None,
                )
        except IntegrityError:
            if user is not None and Member.objects.filter(user=user).exists():
                return Member.objects.get(user=user)
            if email and Member.objects.filter(email__iexact=email).exists():
                raise MemberExists.for_email(email) from None
    raise RuntimeError("could not allocate a unique card number")


def member_get_or_create_for_user(*, user: Any) -> Member:
    member = Member.objects.filter(user=user).first()
    if member is not None:
        return member
    email = getattr(user, "email", "") or ""
    name = (getattr(user, "first_name", "") or "").strip()
    return member_create(user=user, display_name=name, email=email)


def username_for_email(email: str) -> str:
    """A new account's username, made the way allauth makes one at sign-up
    (from the address, unique among usernames): never a cut-off copy of the
    address, which two long addresses would share. People sign in by email;
    the username only has to be unique."""
    return get_adapter().generate_unique_username([email, "user"])


def member_enrol_at_till(*, email: str, name: str, phone: str = "") -> Member:
    """Enrol a customer from the till or a kiosk: an account without a password
    that the member claims later through password reset.

    Two enrolments racing for one username (the same address, most likely):
    the one that loses checks again, so it answers "already a member" when the
    winner took its address, and takes another username when not."""
    User = get_user_model()
    email = email.strip().lower()
    attempts_left = 3
    while True:
        attempts_left -= 1
        try:
            with transaction.atomic():
                taken = User.objects.filter(email__iexact=email).exists()
                if taken or Member.objects.filter(email__iexact=email).exists():
                    raise MemberExists.for_email(email)
                user = User.objects.create_user(username=username_for_email(email), email=email)
                user.set_unusable_password()
                user.save(update_fields=["password"])
                EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
                return member_create(user=user, display_name=name, email=email, phone=phone)
        except IntegrityError:
            if not attempts_left:
                raise


def member_update_profile(
    *,
    member: Member,
    display_name: str,
    phone: str,
    preferred_language: str,
    birthday: date | None,
    large_and_simple: bool | None = None,
) -> Member:
    """Birthday may be set any time it is empty, then changed once a year, so that
    the birthday reward cannot be farmed by moving the date around."""
    now = timezone.now()
    update = ["display_name", "phone", "preferred_language"]
    if large_and_simple is not None:
        member.large_and_simple = large_and_simple
        update.append("large_and_simple")
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
    forget_consents(member)
    return Consent.objects.create(member=member, channel=channel, purpose=purpose, granted=granted, source=source)


def member_anonymise(*, member: Member) -> None:
    """Delete my account: personal data goes; the ledger rows stay, pointing at
    an anonymous member, because money and points history must still add up."""
    with transaction.atomic():
        user = member.user
        forget_consents(member)
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
            EmailAddress.objects.filter(user=user).delete()
            user.email = ""
            user.username = f"deleted-{member.pk}-{user.pk}"
            user.first_name = user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        # Higher layers drop what they derived from the member (segments).
        member_anonymised.send(sender=Member, member=member)


def notice_open(*, member: Member, notice_id: int) -> Notice | None:
    """One of the member's own notices (None for anyone else's), marked read
    the first time it is opened; opening it again keeps the first read time."""
    notice = Notice.objects.filter(member=member, pk=notice_id).first()
    if notice is not None and notice.read_at is None:
        notice.read_at = timezone.now()
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
    return notice
