"""Every movement lands in the inbox; email only with consent, never in quiet hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from members.models import Member, Notice, PointsPolicy
from members.notices import quiet_hours_end
from members.points import points_earn, points_spend
from members.points_expiry import points_expire_due
from members.services import consent_record
from payments.services.top_ups import wallet_top_up
from tests.helpers import pay_from_wallet, points_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_movements_reach_the_inbox_and_email_only_with_consent(make_member: Callable[..., Member]) -> None:
    quiet, told = make_member("Quiet"), make_member("Told")
    consent_record(member=told, channel="email", purpose="activity", granted=True)
    wallet_top_up(member=quiet, amount=20_000, tender="cash")
    wallet_top_up(member=told, amount=20_000, tender="cash")
    assert quiet.notices.count() == 1 and told.notices.count() == 1
    assert [m.to for m in mail.outbox] == [[told.email]]
    assert told.notices.get().emailed_at is not None


def test_quiet_hours_hold_email(make_member: Callable[..., Member], settings: Any) -> None:
    policy = PointsPolicy.current()
    policy.quiet_hours_start, policy.quiet_hours_end = time(22), time(8)
    policy.save()
    import zoneinfo

    taipei = zoneinfo.ZoneInfo("Asia/Taipei")
    assert quiet_hours_end(datetime(2026, 11, 24, 23, 0, tzinfo=taipei), policy) == datetime(
        2026, 11, 25, 8, 0, tzinfo=taipei
    )
    assert quiet_hours_end(datetime(2026, 11, 24, 7, 0, tzinfo=taipei), policy) == datetime(
        2026, 11, 24, 8, 0, tzinfo=taipei
    )
    assert quiet_hours_end(datetime(2026, 11, 24, 12, 0, tzinfo=taipei), policy) is None


def test_a_payment_writes_its_notices_together_and_a_refused_one_writes_none(
    make_member: Callable[..., Member],
) -> None:
    from members.models import Notice
    from payments.exceptions import InsufficientFunds

    member = make_member("Batch")
    consent_record(member=member, channel="email", purpose="activity", granted=True)
    wallet_top_up(member=member, amount=20_000, tender="cash")
    mail.outbox.clear()
    pay_from_wallet(member=member, amount=12_000)
    kinds = sorted(member.notices.values_list("kind", flat=True))
    assert kinds == ["wallet", "wallet"]  # the top-up, then the payment's one receipt (points in it)
    # Activity was consented to: one email for the payment.
    assert len(mail.outbox) == 1
    before = Notice.objects.count()
    with pytest.raises(InsufficientFunds):
        pay_from_wallet(member=member, amount=90_000)
    assert Notice.objects.count() == before


def test_an_email_held_back_is_not_sent_after_consent_is_withdrawn(make_member: Callable[..., Member]) -> None:
    from members.models import Notice
    from members.notices import send_notice_email

    member = make_member("Changed mind")
    consent_record(member=member, channel="email", purpose="activity", granted=True)
    notice = Notice.objects.create(member=member, kind="wallet", title="Top-up NT$100")
    consent_record(member=member, channel="email", purpose="activity", granted=False)
    mail.outbox.clear()
    send_notice_email.call(notice.pk)
    assert mail.outbox == []
    consent_record(member=member, channel="email", purpose="activity", granted=True)
    send_notice_email.call(notice.pk)
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_notices_are_written_in_the_members_language_whoever_caused_them(make_member: Callable[..., Member]) -> None:
    from django.utils import translation

    member = make_member("Mei")
    Member.objects.filter(pk=member.pk).update(preferred_language="zh-hant")
    member.refresh_from_db()
    with translation.override("en"):  # a till or kiosk working in English
        wallet_top_up(member=member, amount=20_000, tender="cash")
        pay_from_wallet(member=member, amount=12_000)
    titles = list(member.notices.order_by("pk").values_list("title", flat=True))
    assert titles[0] == "儲值 NT$200"
    assert len(titles) == 2 and titles[1].startswith("收據 NT$120")
    receipt = member.notices.order_by("pk").last()
    assert receipt is not None and f"獲得 {points_for(12_000)} 點" in receipt.body
    assert "這次的訂單還滿意嗎？" in receipt.body
    assert "合計" in member.points_entries.get().explanation  # the points history explains itself in Chinese too


def expired_notice(member: Member) -> Notice:
    return member.notices.get(title__regex=r"^\d+ (points expired|點已到期)$")


@pytest.mark.parametrize("database", ["db", pytest.param("pg", marks=pytest.mark.postgres)])  # the job is SQL
def test_nightly_expiry_tells_each_member_in_their_language_and_emails_those_who_consented(
    make_member: Callable[..., Member], database: str
) -> None:
    mei, pat, quiet = make_member("Mei"), make_member("Pat"), make_member("Quiet")
    Member.objects.filter(pk=mei.pk).update(preferred_language="zh-hant")
    consent_record(member=pat, channel="email", purpose="activity", granted=True)
    long_ago = timezone.now() - timedelta(days=800)
    for points, member in ((40, mei), (41, pat), (42, quiet)):
        points_earn(member=member, points=points, source="order", reference="o", earned_at=long_ago)
    mail.outbox.clear()

    assert points_expire_due() == 3

    assert (expired_notice(mei).title, expired_notice(mei).link) == ("40 點已到期", "/me/points/")
    assert expired_notice(quiet).title == "42 points expired"
    assert [(m.to, m.subject) for m in mail.outbox] == [([pat.email], "41 points expired")]
    assert expired_notice(pat).emailed_at is not None and expired_notice(quiet).emailed_at is None


def test_points_expiring_tell_the_member_the_same_whether_a_spend_or_the_nightly_job_expires_them(
    make_member: Callable[..., Member],
) -> None:
    spender, sleeper = make_member("Spender"), make_member("Sleeper")
    long_ago = timezone.now() - timedelta(days=800)
    for member in (spender, sleeper):
        Member.objects.filter(pk=member.pk).update(preferred_language="zh-hant")
        member.refresh_from_db()
        consent_record(member=member, channel="email", purpose="activity", granted=True)
        points_earn(member=member, points=40, source="order", reference="old", earned_at=long_ago)
    points_earn(member=spender, points=10, source="order", reference="new")
    mail.outbox.clear()

    points_spend(member=spender, points=10, source="reward", reference="r")  # expires the old lot first
    assert points_expire_due() == 1  # the sleeper's; the spender's is gone already

    def told(member: Member) -> tuple[str, str, str, str]:
        notice = expired_notice(member)
        return notice.kind, notice.title, notice.body, notice.link

    assert told(spender) == told(sleeper) == ("points", "40 點已到期", "", "/me/points/")
    expiry_emails = sorted((m.to[0], m.subject) for m in mail.outbox if "到期" in m.subject)
    assert expiry_emails == sorted([(spender.email, "40 點已到期"), (sleeper.email, "40 點已到期")])
