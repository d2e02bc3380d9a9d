"""Member perks (issue 17, item 10): the member day really changes what a
sale earns, on the store's clock, and the card page and the till say what a
member gets today, in their language, without a query per promotion."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from campaigns.models import Promotion
from campaigns.perks import member_perks
from members.models import Member, Tier
from payments.models import Order, Product, Store, StoreStaff, Tender
from payments.services.orders import order_add_product, order_add_tender, order_attach_member, order_open

pytestmark = pytest.mark.django_db

TAIPEI = ZoneInfo("Asia/Taipei")
# Wednesday 10:00 in Taipei is still Tuesday 18:00 in Los Angeles.
WEDNESDAY_10H_TAIPEI = datetime(2026, 11, 25, 10, 0, tzinfo=TAIPEI)
THURSDAY_10H_TAIPEI = datetime(2026, 11, 26, 10, 0, tzinfo=TAIPEI)


@pytest.fixture
def member_day() -> Promotion:
    return Promotion.objects.create(
        name="Member day Wednesday", multiplier_percent=200, weekdays="3", is_member_day=True, stackable=True
    )


def cash_sale(store: Store, barista: Any, member: Member, *, at: datetime, monkeypatch: pytest.MonkeyPatch) -> Order:
    """One Americano with its default options (NT$105: 10.5 points at the
    default earn rule, 21 doubled), paid in cash at the till with the member
    attached by card, at `at`."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: at)
    order = order_open(store=store, barista=barista)
    order_add_product(order=order, product=Product.objects.get(sku="americano"))
    order.refresh_from_db()
    order_attach_member(order=order, member=member)
    order_add_tender(
        order=order, kind=Tender.Kind.CASH, idempotency_key=uuid.uuid4().hex, actor=barista, cash_received=order.total
    )
    order.refresh_from_db()
    assert (order.status, order.total) == (Order.Status.PAID, 10_500)
    return order


def test_member_day_doubles_a_sale_on_the_day_and_not_the_day_after(
    pos_till: tuple[Client, Store],
    barista_user: Any,
    make_member: Callable[..., Member],
    member_day: Promotion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, store = pos_till
    member = make_member()
    on_the_day = cash_sale(store, barista_user, member, at=WEDNESDAY_10H_TAIPEI, monkeypatch=monkeypatch)
    day_after = cash_sale(store, barista_user, member, at=THURSDAY_10H_TAIPEI, monkeypatch=monkeypatch)
    assert (on_the_day.points_earned, day_after.points_earned) == (21, 10)
    assert "Member day Wednesday: +10.5" in on_the_day.points_explanation
    member.refresh_from_db()
    assert member.points_balance == 31


def test_member_day_is_read_on_the_store_clock(
    pos_till: tuple[Client, Store],
    barista_user: Any,
    make_member: Callable[..., Member],
    member_day: Promotion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same instant is Wednesday in Taipei and Tuesday in Los Angeles."""
    taipei_store, member = pos_till[1], make_member()
    la_store = Store.objects.create(name="Venice", slug="venice", time_zone="America/Los_Angeles")
    StoreStaff.objects.create(user=barista_user, store=la_store, role="Barista")
    in_taipei = cash_sale(taipei_store, barista_user, member, at=WEDNESDAY_10H_TAIPEI, monkeypatch=monkeypatch)
    in_la = cash_sale(la_store, barista_user, member, at=WEDNESDAY_10H_TAIPEI, monkeypatch=monkeypatch)
    assert (in_taipei.points_earned, in_la.points_earned) == (21, 10)


def test_member_day_only_at_its_stores(
    pos_till: tuple[Client, Store],
    barista_user: Any,
    make_member: Callable[..., Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    daan, member = pos_till[1], make_member()
    Promotion.objects.create(name="Xinyi member day", multiplier_percent=300, is_member_day=True, store_slugs="xinyi")
    xinyi = Store.objects.create(name="Xinyi", slug="xinyi")
    StoreStaff.objects.create(user=barista_user, store=xinyi, role="Barista")
    at_xinyi = cash_sale(xinyi, barista_user, member, at=WEDNESDAY_10H_TAIPEI, monkeypatch=monkeypatch)
    at_daan = cash_sale(daan, barista_user, member, at=WEDNESDAY_10H_TAIPEI, monkeypatch=monkeypatch)
    assert (at_xinyi.points_earned, at_daan.points_earned) == (31, 10)


def test_perks_name_the_member_day_first_then_promotions_then_the_tier(
    make_member: Callable[..., Member], member_day: Promotion
) -> None:
    Promotion.objects.create(name="Afternoon bonus", bonus_points=5, start_time="14:00", end_time="17:00")
    Promotion.objects.create(name="Friday only", multiplier_percent=200, weekdays="5")
    gold = Tier.objects.create(
        name="Gold", slug="gold-test", rank=9, multiplier_percent=150, birthday_reward_points=50, perks="Free size up"
    )
    member = make_member()
    member.tier = gold
    perks = member_perks(member=member, at=WEDNESDAY_10H_TAIPEI)
    assert [p.text for p in perks] == [
        "Today: member day — double points",
        "Today: +5 bonus points, 14:00–17:00",
        "Gold: ×1.5 points on every order",
        "Gold: 50 points on your birthday",
        "Free size up",
    ]
    # After its hours the afternoon bonus is no longer offered today.
    evening = member_perks(member=member, at=datetime(2026, 11, 25, 18, 0, tzinfo=TAIPEI))
    assert "Afternoon bonus" not in [p.detail for p in evening]


def test_perks_speak_the_members_language(make_member: Callable[..., Member], member_day: Promotion) -> None:
    member = make_member()
    with translation.override("zh-hant"):
        traditional = member_perks(member=member, at=WEDNESDAY_10H_TAIPEI)[0].text
    with translation.override("zh-hans"):
        simplified = member_perks(member=member, at=WEDNESDAY_10H_TAIPEI)[0].text
    assert traditional == "今天：會員日 — 雙倍點數"
    assert simplified == "今天：会员日 — 双倍积分"


def test_card_page_shows_todays_perks_with_pinned_queries(
    member_client: Client,
    member: Member,
    member_day: Promotion,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(5):  # more promotions cost no more queries
        Promotion.objects.create(name=f"Bonus {number}", bonus_points=number + 1, stackable=True)
    monkeypatch.setattr("django.utils.timezone.now", lambda: WEDNESDAY_10H_TAIPEI)
    member_client.get("/")  # warm the per-process rule caches
    with django_assert_max_num_queries(12):
        page = member_client.get("/").content.decode()
    assert 'data-testid="perks"' in page
    assert "Today: member day — double points" in page
    assert "Today: +5 bonus points" in page


def test_card_page_without_promotions_shows_the_tier_perks_only(member_client: Client, member: Member) -> None:
    page = member_client.get("/").content.decode()
    assert "perk-member_day" not in page and "perk-promotion" not in page
    assert "Green: 50 points on your birthday" in page  # the seeded entry tier's


def test_till_shows_perk_badges_beside_the_member(
    pos_till: tuple[Client, Store],
    barista_user: Any,
    make_member: Callable[..., Member],
    member_day: Promotion,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    client, store = pos_till
    Promotion.objects.create(name="Elsewhere", multiplier_percent=300, store_slugs="somewhere-else")
    member = make_member()
    monkeypatch.setattr("django.utils.timezone.now", lambda: WEDNESDAY_10H_TAIPEI)
    order = order_open(store=store, barista=barista_user)
    order_add_product(order=order, product=Product.objects.get(sku="americano"))
    order_attach_member(order=order, member=member)
    session = client.session
    session["pos_order_id"] = order.pk
    session.save()
    client.get("/pos/")
    with django_assert_max_num_queries(30):
        page = client.get("/pos/").content.decode()
    assert 'data-testid="till-perks"' in page
    assert "Today: member day — double points" in page
    assert "triple points" not in page  # not at this store
