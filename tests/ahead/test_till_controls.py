"""What the baristas set at the till for order ahead — a pause that resumes
by itself, sold-out items and options — seen at once by the portal's reads
and the API; and what the manager sets in the admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Member
from payments.models import Order, Store, StoreStaff
from payments.selectors.ahead import ahead_menu
from payments.services.ahead import (
    ItemSoldOut,
    OrderAheadPaused,
    ahead_order_place,
    store_ahead_pause,
    store_ahead_state,
    store_zone,
)
from tests.ahead.conftest import latte, option, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(client: Client, barista_user: Any, store: Store) -> Client:
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    client.force_login(barista_user)
    return client


def state(store: Store) -> Any:
    return store_ahead_state(store=Store.objects.prefetch_related("hours").get(pk=store.pk), now=timezone.now())


def test_a_pause_for_30_minutes_stops_orders_and_says_why(till: Client, store: Store, customer: Member) -> None:
    before = timezone.now()
    answer = till.post("/pos/ahead/pause/", {"minutes": "30", "reason": "Short of staff"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and 'data-testid="ahead-paused"' in answer.content.decode()
    paused = state(store)
    assert paused.state == "paused" and paused.reason == "Short of staff"
    assert paused.paused_until is not None
    assert timedelta(minutes=29) < paused.paused_until - before < timedelta(minutes=31)
    with pytest.raises(OrderAheadPaused, match="Short of staff"):
        ahead_order_place(member=customer, store=store, lines=[latte()])
    listed = next(s for s in Client().get("/api/v1/stores").json() if s["slug"] == store.slug)
    assert listed["order_ahead"]["state"] == "paused" and listed["order_ahead"]["reason"] == "Short of staff"


def test_a_pause_until_a_time_today_uses_the_stores_clock(till: Client, store: Store) -> None:
    local = timezone.now().astimezone(store_zone(store)) + timedelta(hours=1)
    till.post("/pos/ahead/pause/", {"until": local.strftime("%H:%M"), "reason": ""}, HTTP_HX_REQUEST="true")
    until = state(store).paused_until
    assert until is not None and until.astimezone(store_zone(store)).strftime("%H:%M") == local.strftime("%H:%M")


def test_a_pause_until_a_time_already_past_or_without_a_time_is_refused(till: Client, store: Store) -> None:
    past = timezone.now().astimezone(store_zone(store)) - timedelta(hours=1)
    answer = till.post("/pos/ahead/pause/", {"until": past.strftime("%H:%M")}, HTTP_HX_REQUEST="true")
    assert 'data-testid="ahead-pause-error"' in answer.content.decode()
    nothing = till.post("/pos/ahead/pause/", {"minutes": "7"}, HTTP_HX_REQUEST="true")  # not one of the choices
    assert "Choose for how long, or until when." in nothing.content.decode()
    assert state(store).state == "open"


def test_resume_takes_orders_again_at_once(till: Client, store: Store, customer: Member) -> None:
    store_ahead_pause(store=store, until=timezone.now() + timedelta(hours=1), reason="Busy")
    answer = till.post("/pos/ahead/resume/", HTTP_HX_REQUEST="true")
    assert 'data-testid="ahead-open"' in answer.content.decode()
    assert state(store).state == "open"
    assert ahead_order_place(member=customer, store=store, lines=[latte()]).order.status == "paid"


def test_the_ahead_page_shows_the_pause_with_its_reason(till: Client, store: Store) -> None:
    store_ahead_pause(store=store, until=timezone.now() + timedelta(minutes=15), reason="Machine cleaning")
    html = till.get("/pos/ahead/").content.decode()
    assert 'data-testid="ahead-paused"' in html and "Machine cleaning" in html


def test_a_product_sold_out_at_the_till_is_sold_out_for_members_at_once(
    till: Client, store: Store, customer: Member
) -> None:
    latte_product = product("latte")
    page = till.get("/pos/ahead/sold-out/").content.decode()
    assert 'data-testid="sold-out-product-latte"' in page
    answer = till.post(f"/pos/ahead/sold-out/products/{latte_product.pk}/", {"sold_out": "1"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true" data-testid="sold-out-product-latte"' in answer.content.decode()
    assert latte_product.pk in ahead_menu(store=store).sold_out_products
    assert api_sold_out(store) == {"latte"}
    with pytest.raises(ItemSoldOut):
        ahead_order_place(member=customer, store=store, lines=[latte()])
    till.post(f"/pos/ahead/sold-out/products/{latte_product.pk}/", {"sold_out": "0"}, HTTP_HX_REQUEST="true")
    assert latte_product.pk not in ahead_menu(store=store).sold_out_products and api_sold_out(store) == set()
    assert ahead_order_place(member=customer, store=store, lines=[latte()]).order.status == "paid"


def api_sold_out(store: Store) -> set[str]:
    """The products the public menu API says are sold out (by sku)."""
    menu = Client().get(f"/api/v1/stores/{store.slug}/menu").json()
    return {p["sku"] for category in menu["categories"] for p in category["products"] if p["sold_out"]}


def test_an_option_sold_out_at_the_till_is_refused_for_members(till: Client, store: Store, customer: Member) -> None:
    oat = option("Oat milk")
    till.post(f"/pos/ahead/sold-out/options/{oat.pk}/", {"sold_out": "1"}, HTTP_HX_REQUEST="true")
    assert ahead_menu(store=store).sold_out_modifiers == {oat.pk}
    with pytest.raises(ItemSoldOut, match="Oat milk"):
        ahead_order_place(member=customer, store=store, lines=[latte(1, "Oat milk")])
    assert ahead_order_place(member=customer, store=store, lines=[latte()]).order.status == "paid"
    other = Store.objects.create(name="Other", slug="other")
    assert ahead_menu(store=other).sold_out_modifiers == set()  # per store


def test_members_and_anonymous_cannot_pause_or_mark_sold_out(client: Client, member_user: Any, store: Store) -> None:
    latte_product = product("latte")
    writes = [
        ("/pos/ahead/pause/", {"minutes": "30"}),
        ("/pos/ahead/resume/", {}),
        (f"/pos/ahead/sold-out/products/{latte_product.pk}/", {"sold_out": "1"}),
        (f"/pos/ahead/sold-out/options/{option('Oat milk').pk}/", {"sold_out": "1"}),
    ]
    for path, data in writes:
        assert client.post(path, data).status_code == 302
    assert client.get("/pos/ahead/sold-out/").status_code == 302
    client.force_login(member_user)
    for path, data in writes:
        assert client.post(path, data).status_code == 403
    assert client.get("/pos/ahead/sold-out/").status_code == 403
    assert state(store).state == "open" and not ahead_menu(store=store).sold_out_products
    assert not ahead_menu(store=store).sold_out_modifiers


def test_a_manager_sets_hours_order_ahead_and_prep_minutes_in_the_admin(client: Client, manager_user: Any) -> None:
    client.force_login(manager_user)
    form = {
        "name": "Xinyi",
        "slug": "xinyi",
        "address": "",
        "time_zone": "Asia/Taipei",
        "opening_hours": "",
        "is_active": "on",
        "ahead_enabled": "on",
        "prep_minutes_per_item": "4",
        "ahead_pause_reason": "",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-opens": "07:30",
        "hours-0-closes": "19:00",
        "terminals-TOTAL_FORMS": "0",
        "terminals-INITIAL_FORMS": "0",
        "staff-TOTAL_FORMS": "0",
        "staff-INITIAL_FORMS": "0",
    }
    answer = client.post("/admin/payments/store/add/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    made = Store.objects.get(slug="xinyi")
    assert made.ahead_enabled and made.prep_minutes_per_item == 4
    assert [(h.weekday, h.opens.isoformat(), h.closes.isoformat()) for h in made.hours.all()] == [
        (0, "07:30:00", "19:00:00")
    ]


def test_the_order_admin_filters_by_channel_and_preparation(
    client: Client, manager_user: Any, store: Store, customer: Member
) -> None:
    order = ahead_order_place(member=customer, store=store, lines=[latte()]).order
    client.force_login(manager_user)
    listed = client.get("/admin/payments/order/", {"channel__exact": "ahead", "prep_status__exact": "received"})
    html = listed.content.decode()
    assert listed.status_code == 200 and f"/admin/payments/order/{order.pk}/change/" in html
    assert "prep_status__exact=preparing" in html  # the preparation filter's choices
    empty = client.get("/admin/payments/order/", {"channel__exact": "till"}).content.decode()
    assert f"/admin/payments/order/{order.pk}/change/" not in empty
    assert Order.objects.get(pk=order.pk).prep_status == "received"
