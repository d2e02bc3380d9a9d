"""Messages without a coupon: scheduled, sent once per member to the audience
that agreed to offers and news, in each member's language, never in quiet hours."""

from __future__ import annotations

import io
import zoneinfo
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from campaigns.broadcasts import broadcast_send, broadcasts_send_due
from campaigns.models import Broadcast, BroadcastDelivery, MemberSegment
from members.models import Member, Notice, PointsPolicy
from members.notice_texts import notice_render
from members.services import consent_record

pytestmark = pytest.mark.django_db
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=TAIPEI)


def agreed(member: Member, purpose: str = "marketing", channel: str = "email") -> Member:
    consent_record(member=member, channel=channel, purpose=purpose, granted=True)
    return member


def news(**fields: Any) -> Broadcast:
    values: dict[str, Any] = {
        "title_en": "New: osmanthus latte",
        "title_zh_hant": "新品：桂花拿鐵",
        "body_en": "In every store from Friday.",
        "body_zh_hant": "週五起各門市供應。",
        "status": Broadcast.Status.SCHEDULED,
        "scheduled_at": NOON - timedelta(minutes=5),
    }
    values.update(fields)
    return Broadcast.objects.create(**values)


def quiet_hours(start: int, end: int) -> None:
    policy = PointsPolicy.current()
    policy.quiet_hours_start, policy.quiet_hours_end = time(start), time(end)
    policy.save()


def test_a_due_message_reaches_each_consenting_member_once(make_member: Callable[..., Member]) -> None:
    yes, no = agreed(make_member("Yes")), make_member("No")
    withdrew = agreed(make_member("Withdrew"))
    consent_record(member=withdrew, channel="email", purpose="marketing", granted=False)
    broadcast = news()
    runs = broadcasts_send_due(now=NOON)
    assert [(run.broadcast, run.sent) for run in runs] == [(broadcast, 1)]
    assert list(Notice.objects.filter(kind="news").values_list("member", flat=True)) == [yes.pk]
    assert not no.notices.exists() and not withdrew.notices.exists()
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT and broadcast.sent_at == NOON
    # Rerunning the job, or sending the message again by hand, sends nothing twice.
    assert broadcasts_send_due(now=NOON + timedelta(minutes=5)) == []
    assert broadcast_send(broadcast=broadcast, now=NOON + timedelta(minutes=6)).sent == 0
    assert Notice.objects.filter(kind="news").count() == 1 and BroadcastDelivery.objects.count() == 1


def test_a_member_already_sent_the_message_is_not_sent_it_again(make_member: Callable[..., Member]) -> None:
    first, later = agreed(make_member("First")), make_member("Later")
    broadcast = news()
    BroadcastDelivery.objects.create(broadcast=broadcast, member=first)  # an interrupted earlier run reached them
    agreed(later)
    assert broadcast_send(broadcast=broadcast, now=NOON).sent == 1
    assert not first.notices.exists() and later.notices.filter(kind="news").count() == 1


def test_each_member_reads_the_message_in_their_language(make_member: Callable[..., Member]) -> None:
    english = agreed(make_member("Ann", preferred_language="en"))
    chinese = agreed(make_member("Mei", preferred_language="zh-hant"))
    simplified = agreed(make_member("Li", preferred_language="zh-hans"))
    news()
    broadcasts_send_due(now=NOON)
    assert english.notices.get().title == "New: osmanthus latte"
    chinese_notice = chinese.notices.get()
    assert (chinese_notice.title, chinese_notice.body) == ("新品：桂花拿鐵", "週五起各門市供應。")
    # No simplified Chinese written: the English one, as a name left empty falls back.
    assert simplified.notices.get().title == "New: osmanthus latte"
    # The inbox renders it again in the language of the page.
    with translation.override("en"):
        assert notice_render(chinese_notice) == ("New: osmanthus latte", "In every store from Friday.")


def test_email_only_to_members_who_agreed_to_email(
    make_member: Callable[..., Member], django_capture_on_commit_callbacks: Any
) -> None:
    by_email = agreed(make_member("Mail"))
    agreed(make_member("Sms"), channel="sms")
    news()
    with django_capture_on_commit_callbacks(execute=True):
        run = broadcasts_send_due(now=NOON)[0]
    assert (run.sent, run.by_email) == (2, 1)
    assert [message.to for message in mail.outbox] == [[by_email.email]]
    assert mail.outbox[0].subject == "New: osmanthus latte"


def test_a_message_due_in_quiet_hours_waits_until_they_end(make_member: Callable[..., Member]) -> None:
    member = agreed(make_member())
    quiet_hours(21, 9)
    news(scheduled_at=datetime(2026, 12, 1, 20, 55, tzinfo=TAIPEI))
    assert broadcasts_send_due(now=datetime(2026, 12, 1, 22, 0, tzinfo=TAIPEI)) == []
    assert broadcasts_send_due(now=datetime(2026, 12, 2, 8, 59, tzinfo=TAIPEI)) == []
    assert not member.notices.exists()
    assert broadcasts_send_due(now=datetime(2026, 12, 2, 9, 0, tzinfo=TAIPEI))[0].sent == 1
    assert member.notices.count() == 1


def test_drafts_and_messages_not_yet_due_wait(make_member: Callable[..., Member]) -> None:
    agreed(make_member())
    news(status=Broadcast.Status.DRAFT)
    news(scheduled_at=NOON + timedelta(hours=1))
    assert broadcasts_send_due(now=NOON) == []
    assert not Notice.objects.exists()


def test_a_segment_message_also_needs_agreement_to_personalised_offers(make_member: Callable[..., Member]) -> None:
    both = agreed(agreed(make_member("Both")), purpose="personalised")
    news_only = agreed(make_member("News only"))
    other_segment = agreed(agreed(make_member("Other")), purpose="personalised")
    for member, segment in ((both, "champions"), (news_only, "champions"), (other_segment, "lost")):
        MemberSegment.objects.create(
            member=member,
            last_visit_at=NOON,
            recency_days=1,
            frequency=10,
            monetary=10_000,
            r_score=5,
            f_score=5,
            m_score=5,
            segment=segment,
            computed_at=NOON,
        )
    news(audience=Broadcast.Audience.SEGMENT, segment="champions")
    assert broadcasts_send_due(now=NOON)[0].sent == 1
    assert list(Notice.objects.values_list("member", flat=True)) == [both.pk]


def test_the_command_sends_due_messages_and_says_so(make_member: Callable[..., Member]) -> None:
    agreed(make_member())
    news(scheduled_at=datetime(2020, 1, 1, tzinfo=TAIPEI))
    out = io.StringIO()
    call_command("send_broadcasts", stdout=out)
    assert "New: osmanthus latte: sent to 1 member(s), 1 by email." in out.getvalue()
    out = io.StringIO()
    call_command("send_broadcasts", stdout=out)
    assert "No messages due." in out.getvalue()


def test_manager_writes_previews_schedules_and_counts(
    client: Client, manager_user: Any, make_member: Callable[..., Member], django_assert_max_num_queries: Any
) -> None:
    for name in ("A", "B", "C"):
        agreed(make_member(name))
    make_member("Not agreed")
    client.force_login(manager_user)
    response = client.post(
        "/admin/campaigns/broadcast/add/",
        {
            "title_en": "Happy new year",
            "title_zh_hant": "新年快樂",
            "title_zh_hans": "新年快乐",
            "body_en": "Thank you for a year of coffee.",
            "link": "/",
            "audience": "everyone",
            "scheduled_at_0": "2026-12-31",
            "scheduled_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    assert broadcast.status == Broadcast.Status.DRAFT
    page = client.get(f"/admin/campaigns/broadcast/{broadcast.pk}/change/").content.decode()
    assert "Would reach 3 members now" in page
    preview = page.split('data-testid="broadcast-preview"')[1].split("</table>")[0]
    assert "新年快樂" in preview and "新年快乐" in preview and "Thank you for a year of coffee." in preview
    client.post("/admin/campaigns/broadcast/", {"action": "schedule", "_selected_action": [broadcast.pk]}, follow=True)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SCHEDULED
    assert broadcast.scheduled_at == datetime(2026, 12, 31, 10, 0, tzinfo=TAIPEI)  # its own time kept
    broadcast_send(broadcast=broadcast, now=NOON)
    news(title_en="Another")
    with django_assert_max_num_queries(12):
        listing = client.get("/admin/campaigns/broadcast/").content.decode()
    row = listing.split("Happy new year</a>")[1].split("</tr>")[0]
    assert 'class="field-sent_count">3<' in row and 'class="field-email_count">3<' in row
    sent_page = client.get(f"/admin/campaigns/broadcast/{broadcast.pk}/change/").content.decode()
    assert "Sent to 3 members, 3 of them by email." in sent_page
    assert 'name="title_en"' not in sent_page  # what was sent is no longer editable


def test_scheduling_without_a_time_sends_at_once_and_a_segment_needs_naming(client: Client, manager_user: Any) -> None:
    client.force_login(manager_user)
    missing = client.post("/admin/campaigns/broadcast/add/", {"title_en": "Hi", "audience": "segment", "segment": ""})
    assert missing.status_code == 200 and "Pick the segment this message is for." in missing.content.decode()
    draft = Broadcast.objects.create(title_en="Hi")
    client.post("/admin/campaigns/broadcast/", {"action": "schedule", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Broadcast.Status.SCHEDULED and draft.scheduled_at is not None
