"""The till's order-ahead queue: paid orders only, polled with an ETag (304
while nothing changed), the barista's steps, the ticket, who may see it, and
polls that do not keep a till's session alive."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member
from payments.models import Order, ProgrammeSettings, Store, StoreStaff
from payments.services.ahead import ahead_order_advance, ahead_order_cancel, ahead_order_place
from tests.ahead.conftest import latte, option, product
from tests.controls import frozen_clock

pytestmark = pytest.mark.django_db

clock = frozen_clock.clock  # the fixture: time.time() moved on by hand

QUEUE = "/pos/ahead/queue/"


@pytest.fixture
def till(client: Client, barista_user: Any, store: Store) -> Client:
    """A barista signed in at the till of the order-ahead store."""
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    client.force_login(barista_user)
    return client


def poll(client: Client, etag: str = "") -> Any:
    if etag:
        return client.get(QUEUE, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    return client.get(QUEUE, HTTP_HX_REQUEST="true")


def cards(response: Any) -> int:
    return response.content.decode().count('data-testid="ahead-card"')


def test_the_queue_lists_paid_orders_with_their_items_options_notes_and_pickup(
    till: Client, store: Store, customer: Member
) -> None:
    placed = ahead_order_place(
        member=customer, store=store, lines=[latte(2, "Oat milk", "Large", note="extra hot")]
    ).order
    page = till.get("/pos/ahead/")
    html = page.content.decode()
    assert page.status_code == 200 and cards(page) == 1
    assert f"#{placed.pk}" in html and "2 × Latte" in html
    assert "Oat milk" in html and "Large" in html and "“extra hot”" in html
    assert "ASAP" in html and customer.display_name in html
    assert 'data-testid="ahead-preparing"' in html  # the first step: Start


def test_unpaid_and_cancelled_orders_stay_out_of_the_queue(
    till: Client, store: Store, customer: Member, make_member: Any
) -> None:
    paid = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    cancelled = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    ahead_order_cancel(order=cancelled, member=customer)
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 10_000})
    ProgrammeSettings.forget_cached()
    waiting = ahead_order_place(member=make_member(balance=100_000), store=store, lines=[latte()])
    assert waiting.needs_confirmation
    html = poll(till).content.decode()
    assert html.count('data-testid="ahead-card"') == 1
    assert f"#{paid.pk}<" in html
    assert f"#{cancelled.pk}<" not in html and f"#{waiting.order.pk}<" not in html


def test_an_unchanged_queue_answers_304_and_a_new_order_200(till: Client, store: Store, customer: Member) -> None:
    first = poll(till)
    assert first.status_code == 200 and first["ETag"]
    assert poll(till, first["ETag"]).status_code == 304
    ahead_order_place(member=customer, store=store, lines=[latte()])
    after = poll(till, first["ETag"])
    assert after.status_code == 200 and cards(after) == 1 and after["ETag"] != first["ETag"]
    assert poll(till, after["ETag"]).status_code == 304


def test_a_step_or_a_cancel_elsewhere_changes_the_etag(till: Client, store: Store, customer: Member) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    before = poll(till)["ETag"]
    ahead_order_advance(order=order, status="preparing")  # another till, or the API
    assert poll(till, before).status_code == 200
    second = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    seen = poll(till)["ETag"]
    ahead_order_cancel(order=second, member=customer)
    gone = poll(till, seen)
    assert gone.status_code == 200 and cards(gone) == 1  # the cancelled one disappeared


def test_start_ready_collected_from_the_card(till: Client, store: Store, customer: Member) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    for step, next_button in (("preparing", "ahead-ready"), ("ready", "ahead-collected")):
        answer = till.post(f"/pos/ahead/{order.pk}/advance/", {"status": step}, HTTP_HX_REQUEST="true")
        order.refresh_from_db()
        assert answer.status_code == 200 and order.prep_status == step
        assert f'data-testid="{next_button}"' in answer.content.decode()
        assert answer["ETag"] == poll(till)["ETag"]  # the till keeps polling from what it shows
    done = till.post(f"/pos/ahead/{order.pk}/advance/", {"status": "collected"}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.prep_status == "collected" and order.collected_at is not None
    assert cards(done) == 0


def test_a_step_that_is_no_longer_possible_is_refused_with_a_message(
    till: Client, store: Store, customer: Member
) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    ahead_order_advance(order=order, status="ready")
    back = till.post(f"/pos/ahead/{order.pk}/advance/", {"status": "preparing"}, HTTP_HX_REQUEST="true")
    assert back.status_code == 200 and 'data-testid="ahead-error"' in back.content.decode()
    assert "already ready" in back.content.decode()
    order.refresh_from_db()
    assert order.prep_status == "ready"
    cancelled = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    ahead_order_cancel(order=cancelled, member=customer)  # the member cancelled as the barista tapped
    late = till.post(f"/pos/ahead/{cancelled.pk}/advance/", {"status": "preparing"}, HTTP_HX_REQUEST="true")
    assert "The member cancelled this order." in late.content.decode()
    cancelled.refresh_from_db()
    assert cancelled.prep_status == "cancelled"


def test_another_stores_order_is_not_found_at_this_till(
    till: Client, store: Store, customer: Member, client: Client, make_member: Any
) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    Order.objects.filter(pk=order.pk).update(store=Store.objects.create(name="Other", slug="other"))
    assert till.post(f"/pos/ahead/{order.pk}/advance/", {"status": "preparing"}).status_code == 404
    assert till.get(f"/pos/ahead/{order.pk}/ticket/").status_code == 404
    order.refresh_from_db()
    assert order.prep_status == "received"


def test_the_ticket_has_number_pickup_items_options_notes_and_first_name(
    till: Client, store: Store, make_member: Any
) -> None:
    mei = make_member("Mei Lin", balance=100_000)
    order = ahead_order_place(member=mei, store=store, lines=[latte(1, "Oat milk", note="no lid")]).order
    ticket = till.get(f"/pos/ahead/{order.pk}/ticket/")
    html = ticket.content.decode()
    assert ticket.status_code == 200 and "css/ticket.css" in html
    assert f">#{order.pk}<" in html and "ASAP" in html and "1 × Latte" in html
    assert "Oat milk" in html and "“no lid”" in html
    assert 'data-testid="ticket-name">Mei<' in html and "Mei Lin" not in html


def test_a_member_or_anonymous_gets_no_queue_and_moves_nothing(
    client: Client, member_user: Any, store: Store, customer: Member
) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    for path in ("/pos/ahead/", QUEUE, "/pos/ahead/badge/", f"/pos/ahead/{order.pk}/ticket/"):
        assert client.get(path).status_code == 302  # to the staff sign-in
    assert client.post(f"/pos/ahead/{order.pk}/advance/", {"status": "preparing"}).status_code == 302
    client.force_login(member_user)
    for path in ("/pos/ahead/", QUEUE, "/pos/ahead/badge/", f"/pos/ahead/{order.pk}/ticket/"):
        assert client.get(path).status_code == 403
    assert client.post(f"/pos/ahead/{order.pk}/advance/", {"status": "preparing"}).status_code == 403
    order.refresh_from_db()
    assert order.prep_status == "received"


def test_the_badge_counts_orders_waiting_to_be_started(till: Client, store: Store, customer: Member) -> None:
    assert 'data-waiting="0"' in till.get("/pos/ahead/badge/").content.decode()
    first = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    ahead_order_place(member=customer, store=store, lines=[latte()])
    assert 'data-waiting="2"' in till.get("/pos/ahead/badge/").content.decode()
    ahead_order_advance(order=first, status="preparing")
    badge = till.get("/pos/ahead/badge/")
    assert 'data-waiting="1"' in badge.content.decode()
    assert till.get("/pos/ahead/badge/", HTTP_IF_NONE_MATCH=badge["ETag"]).status_code == 304


def test_polls_do_not_keep_an_idle_till_signed_in(till: Client, store: Store, clock: Any) -> None:
    assert till.get("/pos/ahead/").status_code == 200  # the barista's last tap
    for _ in range(8):  # 16 minutes of the page polling by itself
        clock(2 * 60)
        answer = poll(till)
        if answer.status_code != 200:
            break
    assert answer.status_code == 204 and answer["HX-Redirect"].startswith("/pos/login/")
    assert till.get("/pos/ahead/")["Location"].startswith("/pos/login/")  # signed out, not just hidden


def test_a_tap_still_counts_as_activity(till: Client, store: Store, customer: Member, clock: Any) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    till.get("/pos/ahead/")
    clock(10 * 60)
    till.post(f"/pos/ahead/{order.pk}/advance/", {"status": "preparing"}, HTTP_HX_REQUEST="true")
    clock(10 * 60)  # 20 minutes since the page loaded, 10 since the tap
    assert poll(till).status_code == 200


def test_the_queue_partial_makes_a_fixed_number_of_queries(
    till: Client, store: Store, make_member: Any, django_assert_max_num_queries: Any
) -> None:
    lines = [latte(1, "Oat milk"), latte(1, "Large", note="hot"), latte()]  # under the confirmation limit
    for _ in range(6):  # one member each: a wallet's velocity rule stops a burst of payments
        ahead_order_place(member=make_member(balance=100_000), store=store, lines=lines)
    poll(till)  # the session settles (its first request writes the session policy)
    # Seven for the session, the sign-in, MFA and the till permission; the
    # fingerprint; the orders with lines, options, tenders, payments, refunds.
    with django_assert_max_num_queries(14):
        answer = poll(till)
    assert cards(answer) == 6
    with django_assert_max_num_queries(8):  # unchanged: the fingerprint only
        assert poll(till, answer["ETag"]).status_code == 304


def test_options_are_named_in_the_baristas_language(till: Client, store: Store, customer: Member) -> None:
    ahead_order_place(member=customer, store=store, lines=[latte(1, "Oat milk")])
    oat, latte_product = option("Oat milk"), product("latte")
    html = till.get(QUEUE, HTTP_ACCEPT_LANGUAGE="zh-hant", HTTP_HX_REQUEST="true").content.decode()
    assert oat.name_zh_hant and oat.name_zh_hant in html  # type: ignore[attr-defined]
    assert latte_product.name_zh_hant in html and "盡快" in html  # type: ignore[attr-defined]


def test_the_card_the_ticket_and_the_pause_tell_the_stores_clock_not_the_servers(
    till: Client, store: Store, customer: Member
) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    # UTC-10 all year: never the server's TIME_ZONE (Asia/Taipei) on the clock face.
    Store.objects.filter(pk=store.pk).update(time_zone="Pacific/Honolulu")
    honolulu = ZoneInfo("Pacific/Honolulu")
    ready_by = timezone.localtime(order.ready_estimate, honolulu).strftime("%H:%M")
    assert f"ready by {ready_by}" in till.get("/pos/ahead/").content.decode()
    paid = timezone.localtime(order.paid_at, honolulu).strftime("%H:%M")
    assert f"· {paid}</p>" in till.get(f"/pos/ahead/{order.pk}/ticket/").content.decode()
    paused = till.post("/pos/ahead/pause/", {"minutes": "30", "reason": ""}, HTTP_HX_REQUEST="true")
    until = timezone.localtime(Store.objects.get(pk=store.pk).ahead_paused_until, honolulu).strftime("%H:%M")
    assert f"Paused until {until}" in paused.content.decode()
