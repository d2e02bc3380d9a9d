"""Notices are shown in the reader's current language, whatever language they
were written in: a member who switches the portal to 繁體中文 reads last week's
English notices in it too (tier and product names included), while emails and
the stored text stay in the language the member had when it was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils.translation import gettext_noop

from campaigns.feedback import order_feedback_reply
from members.models import Member, Notice, Tier, Visit
from members.notice_texts import notice_render
from members.notices import notice_data, notice_money, notice_number, notice_send, notice_text
from members.services import consent_record
from members.tiers import tier_override
from payments.models import Category, Order, Product, Store
from payments.services.top_ups import wallet_top_up

pytestmark = pytest.mark.django_db


def read_in(client: Client, language: str, path: str) -> str:
    """A page as the portal shows it after the reader picked `language` (the
    language switch sets this cookie)."""
    client.cookies["django_language"] = language
    return client.get(path).content.decode()


def test_an_english_notice_is_shown_in_chinese_once_the_reader_switches(member_client: Client, member: Member) -> None:
    gold = Tier.objects.get(slug="gold")
    tier_override(member=member, tier=gold, reason="Thanks for ten years", until=None)
    wallet_top_up(member=member, amount=150_000, tender="cash")
    top_up = member.notices.get(kind="wallet")
    tier = member.notices.get(kind="tier")
    # Written in English, the member's language then: that is what the email and the admin say.
    assert (top_up.title, tier.title) == ("Top-up NT$1,500", "Your tier is now Gold")

    inbox = read_in(member_client, "zh-hant", "/me/inbox/")
    assert "儲值 NT$1,500" in inbox and "你的等級現在是 金階" in inbox
    assert "Top-up" not in inbox and "Your tier is now" not in inbox
    page = read_in(member_client, "zh-hant", f"/me/inbox/{top_up.pk}/")
    assert "儲值 NT$1,500" in page and "餘額 NT$1,500" in page
    assert "你的等級現在是 金階" in read_in(member_client, "zh-hant", f"/me/inbox/{tier.pk}/")
    # Back in English, the same rows read in English again; the reason was free text.
    inbox = read_in(member_client, "en", "/me/inbox/")
    assert "Top-up NT$1,500" in inbox and "Your tier is now Gold" in inbox and "Thanks for ten years" in inbox


def test_a_receipt_shows_product_names_and_tenders_in_the_readers_language(
    pos_till: tuple[Client, Store], member: Member
) -> None:
    client, _store = pos_till
    member_client = Client()
    assert member.user is not None
    member_client.force_login(member.user)
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    croissant = Product.objects.get(sku="croissant")
    client.post(f"/pos/orders/{order.pk}/add/{croissant.pk}/", HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/scan/", {"code": member.card_number}, HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "card", "key": "r1"}, HTTP_HX_REQUEST="true")
    receipt = member.notices.get(link=f"/wallet/receipts/{order.pk}/")
    assert "1 × Croissant" in receipt.body and "Paid by card" in receipt.body

    page = read_in(member_client, "zh-hant", f"/me/inbox/{receipt.pk}/")
    assert "收據 NT$80" in page and "1 × 可頌" in page and "信用卡付款 NT$80" in page
    assert "這次的訂單還滿意嗎？" in page and "Croissant" not in page
    assert "1 × 牛角面包" in read_in(member_client, "zh-hans", f"/me/inbox/{receipt.pk}/")


def test_a_nested_message_and_points_are_rendered_in_the_readers_language(member: Member) -> None:
    from django.utils import translation

    notice_send(
        member=member,
        kind="points",
        title=notice_text(gettext_noop("+%(points)s points"), points=notice_number(1_500)),
        body=notice_text(
            gettext_noop("%(amount)s back by %(tender)s."),
            amount=notice_money(8_000),
            tender=notice_text(gettext_noop("Card")),
        ),
    )
    notice = member.notices.get()
    assert (notice.title, notice.body) == ("+1,500 points", "NT$80 back by Card.")
    with translation.override("zh-hant"):
        assert notice_render(notice) == ("+1,500 點", "以信用卡退還 NT$80。")


def test_a_tier_that_is_gone_shows_the_name_written_in_the_notice(member: Member) -> None:
    from django.utils import translation

    tier = Tier.objects.create(name="Jade", name_zh_hant="翡翠", slug="jade", rank=9)
    notice_send(
        member=member,
        kind="tier",
        title=notice_text(gettext_noop("Welcome to %(tier)s"), tier=notice_data(tier, "name")),
    )
    notice = member.notices.get()
    with translation.override("zh-hant"):
        assert notice_render(notice)[0].endswith("翡翠")
    tier.delete()
    with translation.override("zh-hant"):
        title = notice_render(notice)[0]
    assert title.endswith("Jade") and title != "Welcome to Jade"  # the message still translated, the name as written


def test_older_notices_and_free_text_replies_are_shown_as_stored(
    member_client: Client, member: Member, manager_user: Any
) -> None:
    from campaigns.feedback import order_feedback_give

    old = Notice.objects.create(member=member, kind="wallet", title="Top-up NT$100", body="Balance NT$100.")
    visit = Visit.objects.create(member=member, at=old.created_at, reference="order:1", store_slug="daan")
    feedback = order_feedback_give(member=member, visit=visit, rating=2, comment="cold")
    assert feedback is not None
    order_feedback_reply(feedback_id=feedback.pk, reply="Sorry — next one is on us.", by=manager_user)
    reply = member.notices.get(kind="feedback")

    inbox = read_in(member_client, "zh-hant", "/me/inbox/")
    assert "Top-up NT$100" in inbox  # written before notices kept their texts: as stored
    page = read_in(member_client, "zh-hant", f"/me/inbox/{reply.pk}/")
    assert "Sorry — next one is on us." in page  # the manager's words, as typed
    assert "對您 2★ 評分的回覆" in page  # the title around them is still the reader's language


def test_a_notice_whose_stored_texts_do_not_render_shows_its_stored_text(member: Member) -> None:
    broken = Notice.objects.create(
        member=member, kind="wallet", title="As written", body="Body as written", texts={"title": {"unknown": 1}}
    )
    assert notice_render(broken) == ("As written", "Body as written")


def test_emails_go_out_in_the_members_language_whoever_reads_the_inbox(
    member_client: Client, member: Member, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from django.utils import translation

    Member.objects.filter(pk=member.pk).update(preferred_language="zh-hant")
    member.refresh_from_db()
    consent_record(member=member, channel="email", purpose="activity", granted=True)
    mail.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        wallet_top_up(member=member, amount=20_000, tender="cash")
    assert [m.subject for m in mail.outbox] == ["儲值 NT$200"]
    assert "Top-up NT$200" in read_in(member_client, "en", "/me/inbox/")


def test_the_inbox_reads_referenced_rows_once_per_model_however_many_notices(
    member_client: Client, member: Member, django_assert_num_queries: Callable[..., Any]
) -> None:
    cakes = Category.objects.create(name="Cakes")
    products = [
        Product.objects.create(category=cakes, name=f"Cake {n}", name_zh_hant=f"蛋糕{n}", sku=f"cake{n}", price=100)
        for n in range(4)
    ]
    tiers = list(Tier.objects.all())

    def write(count: int) -> None:
        for n in range(count):
            notice_send(
                member=member,
                kind="wallet",
                title=notice_text(
                    gettext_noop("Receipt %(amount)s at %(store)s"),
                    amount=notice_money(100 * n),
                    store=notice_data(products[n % len(products)], "name"),
                ),
                body=notice_text(
                    gettext_noop("Your tier is now %(tier)s"), tier=notice_data(tiers[n % len(tiers)], "name")
                ),
            )

    write(2)
    member_client.cookies["django_language"] = "zh-hant"
    member_client.get("/me/inbox/")  # the session and the member row warm
    # Session, user, member, notices, then one query for the products and one
    # for the tiers they name.
    with django_assert_num_queries(6):
        page = member_client.get("/me/inbox/").content.decode()
    assert "蛋糕1" in page
    write(30)
    with django_assert_num_queries(6):
        page = member_client.get("/me/inbox/").content.decode()
    assert all(f"蛋糕{n}" in page for n in range(4))
