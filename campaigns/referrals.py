"""Referrals with abuse controls: no self-referral (same email account behind
aliases, same phone, same device), a monthly cap per referrer, rewards only
on the friend's first paid order and taken back if that order is refunded."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from campaigns.coupons import ALPHABET
from campaigns.exceptions import ReferralRefused
from campaigns.models import Referral, ReferralCode
from campaigns.selectors import referral_code_by_code, referral_code_of_member
from members.models import Member, Visit
from members.notices import notice_text
from members.points import points_earn, points_reverse_for_refund

REFERRAL_POINTS = 100
MONTHLY_CAP = 5


def referral_code_for(*, member: Member) -> str:
    """The member's referral code, made on first use."""
    existing = referral_code_of_member(member=member)
    if existing:
        return existing.code
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(
                    member=member, code="".join(secrets.choice(ALPHABET) for _ in range(8))
                ).code
        except IntegrityError:
            existing = referral_code_of_member(member=member)
            if existing:
                return existing.code
    raise RuntimeError("could not allocate a referral code")


def canonical_email(email: str) -> str:
    """a.b+promo@gmail.com and ab@gmail.com are one mailbox."""
    local, _at, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())[-9:]


def referral_attach(*, friend: Member, code: str, device_id: str = "") -> Referral:
    referrer_code = referral_code_by_code(code=code.strip().upper())
    if referrer_code is None:
        raise ReferralRefused(_("Unknown referral code."))
    referrer = referrer_code.member
    if referrer.pk == friend.pk or canonical_email(referrer.email) == canonical_email(friend.email):
        raise ReferralRefused(_("You cannot refer yourself."))
    if referrer.phone and friend.phone and _digits(referrer.phone) == _digits(friend.phone):
        raise ReferralRefused(_("You cannot refer yourself."))
    if Visit.objects.filter(member=friend).exists():
        raise ReferralRefused(_("Referrals are for new members, before their first order."))
    if device_id and Referral.objects.filter(referrer=referrer, device_id=device_id).exists():
        raise ReferralRefused(_("This device has already been referred."))
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if Referral.objects.filter(referrer=referrer, created_at__gte=month_start).count() >= MONTHLY_CAP:
        raise ReferralRefused(_("This referral code has reached its monthly limit."))
    try:
        with transaction.atomic():
            return Referral.objects.create(referrer=referrer, friend=friend, device_id=device_id[:64])
    except IntegrityError:
        raise ReferralRefused("You were already referred.") from None


def referral_qualify(*, friend: Member, reference: str) -> Referral | None:
    """On the friend's first paid order, reward both."""
    with transaction.atomic(savepoint=False):
        referral = Referral.objects.select_for_update().filter(friend=friend, status=Referral.Status.PENDING).first()
        if referral is None:
            return None
        referral.status = Referral.Status.REWARDED
        referral.qualifying_reference = reference
        referral.rewarded_at = timezone.now()
        referral.save(update_fields=["status", "qualifying_reference", "rewarded_at"])
        for member in (referral.referrer, friend):
            points_earn(
                member=member,
                points=REFERRAL_POINTS,
                source="referral",
                reference=f"referral:{referral.pk}",
                explanation=notice_text(gettext_noop("Thanks for bringing a friend")),
            )
        return referral


def referral_reverse(*, reference: str) -> None:
    """The qualifying order was refunded in full: take the rewards back."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(qualifying_reference=reference, status=Referral.Status.REWARDED)
            .first()
        )
        if referral is None:
            return
        referral.status = Referral.Status.REVERSED
        referral.save(update_fields=["status"])
        for member in (referral.referrer, referral.friend):
            points_reverse_for_refund(
                member=member,
                reference=f"referral:{referral.pk}",
                refund_amount=1,
                original_amount=1,
                refund_reference=f"referral-reversal:{referral.pk}:{member.pk}",
            )
