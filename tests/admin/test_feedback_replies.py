"""Feedback gets an answer: a manager replies to a rating in the admin and the
member reads the reply in their inbox; a rating of 1 or 2 opens a follow-up
that stays on the admin's front page until someone marks it handled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.feedback import order_feedback_give
from campaigns.models import OrderFeedback
from members.models import Member, Notice, Visit

pytestmark = pytest.mark.django_db


def rate(member: Member, rating: int, comment: str = "", n: int = 1) -> OrderFeedback:
    visit = Visit.objects.create(member=member, at=timezone.now(), reference=f"order:{n}", store_slug="daan")
    feedback = order_feedback_give(member=member, visit=visit, rating=rating, comment=comment)
    assert feedback is not None
    return feedback


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


def reply_form(feedback: OrderFeedback, reply: str) -> dict[str, str]:
    return {"reply": reply, "_save": "Save"}


def test_only_ratings_of_one_or_two_open_a_follow_up(make_member: Callable[..., Member]) -> None:
    member = make_member("Ana")
    follow = [rate(member, stars, n=stars).follow_up for stars in (1, 2, 3, 4, 5)]
    assert follow == [True, True, False, False, False]


def test_a_managers_reply_reaches_the_members_inbox_once(
    manager_client: Client, manager_user: Any, member_user: Any, member: Member
) -> None:
    member_client = Client()  # the member on their own phone
    member_client.force_login(member_user)
    feedback = rate(member, 2, "The latte was cold")
    url = f"/admin/campaigns/orderfeedback/{feedback.pk}/change/"

    page = manager_client.get(url).content.decode()
    assert "The latte was cold" in page and 'name="reply"' in page
    assert 'name="rating"' not in page  # the member's rating is theirs: read-only

    manager_client.post(url, reply_form(feedback, "Sorry! Your next latte is on us."))
    feedback.refresh_from_db()
    assert feedback.reply == "Sorry! Your next latte is on us."
    assert feedback.replied_by == manager_user and feedback.replied_at is not None
    notice = Notice.objects.get(member=member, kind=Notice.Kind.FEEDBACK)
    assert notice.title == "A reply to your 2★ rating"
    assert notice.body == "Sorry! Your next latte is on us."
    assert notice.link == "/offers/feedback/order:1/"
    assert "Sorry! Your next latte is on us." in member_client.get("/me/inbox/").content.decode()

    # Saving the page again, unchanged, tells the member nothing new.
    manager_client.post(url, reply_form(feedback, "Sorry! Your next latte is on us."))
    assert Notice.objects.filter(member=member, kind=Notice.Kind.FEEDBACK).count() == 1


def test_the_reply_notice_is_in_the_members_language(manager_client: Client, member: Member) -> None:
    member.preferred_language = "zh-hant"
    member.save(update_fields=["preferred_language"])
    feedback = rate(member, 1)
    manager_client.post(f"/admin/campaigns/orderfeedback/{feedback.pk}/change/", reply_form(feedback, "抱歉"))
    assert Notice.objects.get(member=member).title == "對您 1★ 評分的回覆"


def test_a_low_rating_shows_on_the_front_page_until_handled(
    manager_client: Client, manager_user: Any, make_member: Callable[..., Member]
) -> None:
    low = rate(make_member("Ana"), 1, "Rude at the counter")
    rate(make_member("Bo"), 5, "Lovely", n=2)

    front = manager_client.get("/admin/").content.decode()
    assert 'data-testid="follow-ups-panel"' in front and "Rude at the counter" in front
    assert "Lovely" not in front

    manager_client.post(
        "/admin/campaigns/orderfeedback/",
        {"action": "mark_follow_up_handled", "_selected_action": [str(low.pk)]},
    )
    low.refresh_from_db()
    assert low.follow_up_handled_by == manager_user and low.follow_up_handled_at is not None
    front = manager_client.get("/admin/").content.decode()
    assert 'data-testid="follow-ups-panel"' not in front and "Rude at the counter" not in front

    listed = manager_client.get("/admin/campaigns/orderfeedback/?follow_up=handled").content.decode()
    assert "Rude at the counter" in listed
