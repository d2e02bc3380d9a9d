"""Rewards and points in the order-ahead cart (issue 16): a reward is
redeemed into a coupon on the order and points pay what they cover, through
the till's own services, in the order's transaction; a refusal spends
nothing and a cancel gives everything back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from campaigns.models import Coupon, CouponTemplate, Reward
from members.models import Member, PointsEntry
from members.points import points_earn
from payments.exceptions import InsufficientFunds
from payments.models import Account, Order, Payment, ProgrammeSettings, Store
from payments.services.ahead import AheadLine, ahead_order_cancel, ahead_order_place
from payments.services.orders import order_confirm_payment
from payments.services.top_ups import wallet_top_up
from tests.ahead.conftest import latte, product
from tests.ahead.portal import add_to_cart, fund, pay

pytestmark = pytest.mark.django_db

LATTE = 13_500  # a Medium latte with whole milk


def balance(member: Member) -> int:
    return Account.objects.get(member=member).balance


def points(member: Member) -> int:
    return Member.objects.get(pk=member.pk).points_balance


def give_points(member: Member, amount: int) -> None:
    points_earn(member=member, points=amount, source="test", reference="test:grant")


def free_item_reward(sku: str = "latte", cost: int = 120, name: str = "Free latte") -> Reward:
    template = CouponTemplate.objects.create(name=name, kind=CouponTemplate.Kind.FREE_ITEM, scope_sku=sku)
    return Reward.objects.create(name=name, points_cost=cost, template=template)


@pytest.fixture
def rich(customer: Member) -> Member:
    give_points(customer, 200)
    return customer


def test_a_reward_is_redeemed_into_a_coupon_on_the_order(store: Store, rich: Member) -> None:
    reward = free_item_reward()
    lines = [latte(), AheadLine(product=product("croissant"))]
    order = ahead_order_place(member=rich, store=store, lines=lines, reward=reward.pk).order
    order.refresh_from_db()
    assert (order.status, order.discount, order.total) == ("paid", LATTE, 8_000)
    coupon = Coupon.objects.get(member=rich, source="reward")
    assert coupon.redeemed_at is not None and coupon.order_reference == order.reference
    spent = PointsEntry.objects.get(member=rich, kind=PointsEntry.Kind.SPEND)
    assert (spent.points, spent.reference) == (-120, f"coupon:{coupon.code}")
    assert points(rich) == 200 - 120 + order.points_earned
    assert balance(rich) == 100_000 - 8_000


def test_points_pay_what_they_cover_and_the_wallet_pays_the_rest(store: Store, customer: Member) -> None:
    give_points(customer, 50)
    placed = ahead_order_place(member=customer, store=store, lines=[latte()], use_points=True)
    order = placed.order
    tenders = {t.kind: (t.amount, t.points_used, t.status) for t in order.tenders.all()}
    assert tenders == {"points": (5_000, 50, "settled"), "wallet": (LATTE - 5_000, 0, "settled")}
    assert order.status == "paid" and placed.payment is not None
    assert balance(customer) == 100_000 - (LATTE - 5_000)
    # Only what the wallet paid earns (as at the till): the points are gone.
    assert points(customer) == order.points_earned > 0


def test_points_that_cover_it_all_need_no_wallet(store: Store, rich: Member) -> None:
    placed = ahead_order_place(member=rich, store=store, lines=[latte()], use_points=True)
    assert placed.payment is None and placed.order.status == "paid"
    assert (placed.order.tenders.get().kind, placed.order.tenders.get().points_used) == ("points", 135)
    assert (points(rich), balance(rich)) == (200 - 135, 100_000)


def test_reward_and_points_together(store: Store, customer: Member) -> None:
    give_points(customer, 150)
    reward = free_item_reward()
    order = ahead_order_place(member=customer, store=store, lines=[latte(2)], reward=reward.pk, use_points=True).order
    # One latte free; 30 points left pay NT$30 of the other; the wallet the rest.
    assert order.total == LATTE
    assert {t.kind: t.amount for t in order.tenders.all()} == {"points": 3_000, "wallet": LATTE - 3_000}
    assert balance(customer) == 100_000 - (LATTE - 3_000)


REFUSED: dict[str, str] = {
    "reward_unaffordable": "insufficient_points",
    "reward_inactive": "reward_unavailable",
    "reward_unknown": "reward_unavailable",
    "reward_not_for_these_items": "coupon_not_applicable",
    "no_points_to_use": "insufficient_points",
    "wallet_short": "insufficient_funds",
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_order_spends_no_points_and_no_money(
    store: Store, make_member: Callable[..., Member], case: str
) -> None:
    member = make_member("Lin", balance=10_000 if case == "wallet_short" else 100_000)
    give_points(member, 0 if case == "no_points_to_use" else 130)
    reward = free_item_reward(cost=500 if case == "reward_unaffordable" else 120)
    if case == "reward_inactive":
        Reward.objects.filter(pk=reward.pk).update(is_active=False)
    if case == "reward_not_for_these_items":
        reward = free_item_reward(sku="croissant", name="Free croissant")
    wallet_before, points_before = balance(member), points(member)
    kwargs: dict[str, Any] = {"use_points": True} if case == "no_points_to_use" else {"reward": reward.pk}
    if case == "reward_unknown":
        kwargs = {"reward": reward.pk + 1000}
    if case == "wallet_short":
        kwargs["use_points"] = True
    with pytest.raises(Exception) as refused:
        ahead_order_place(member=member, store=store, lines=[latte(3)], **kwargs)
    assert getattr(refused.value, "code", None) == REFUSED[case]
    if case == "wallet_short":
        assert isinstance(refused.value, InsufficientFunds)
    assert (balance(member), points(member)) == (wallet_before, points_before)
    assert not PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.SPEND).exists()
    assert not Coupon.objects.filter(member=member).exists()
    assert not Order.objects.filter(channel="ahead").exists() and not Payment.objects.exists()


def cheap_refunds() -> None:
    # Above the refund-approval threshold: the member's own cancel needs no second person.
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"refund_approval_threshold": 1_000})
    ProgrammeSettings.forget_cached()


def test_cancel_gives_back_the_points_the_wallet_and_the_rewards_coupon(store: Store, customer: Member) -> None:
    cheap_refunds()
    give_points(customer, 150)
    reward = free_item_reward()
    order = ahead_order_place(member=customer, store=store, lines=[latte(2)], reward=reward.pk, use_points=True).order
    assert points(customer) == order.points_earned  # 120 for the reward, 30 paid, some earned
    cancelled = ahead_order_cancel(order=order, member=customer)
    assert cancelled.refund is not None and cancelled.refund.amount == order.total
    # The 30 points that paid come back, what the order earned goes; the
    # reward stays redeemed, its coupon released to use again.
    assert (points(customer), balance(customer)) == (30, 100_000)
    coupon = Coupon.objects.get(member=customer, source="reward")
    assert (coupon.redeemed_at, coupon.order_reference) == (None, "")
    order.refresh_from_db()
    assert (order.status, order.prep_status) == ("refunded", "cancelled")


def test_cancelling_an_order_a_reward_paid_in_full_releases_its_coupon(store: Store, rich: Member) -> None:
    order = ahead_order_place(member=rich, store=store, lines=[latte()], reward=free_item_reward().pk).order
    assert (order.total, order.status) == (0, "paid")
    ahead_order_cancel(order=order, member=rich)
    coupon = Coupon.objects.get(member=rich, source="reward")
    assert coupon.redeemed_at is None
    assert Order.objects.get(pk=order.pk).prep_status == "cancelled"


def test_points_come_back_when_the_wallet_rest_is_declined(store: Store, customer: Member) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 1_000})
    ProgrammeSettings.forget_cached()
    give_points(customer, 50)
    placed = ahead_order_place(member=customer, store=store, lines=[latte()], use_points=True)
    assert placed.needs_confirmation and points(customer) == 0
    assert placed.payment is not None
    order_confirm_payment(payment_id=placed.payment.pk, member=customer, approve=False)
    placed.order.refresh_from_db()
    assert (placed.order.status, placed.order.prep_status) == ("void", "cancelled")
    assert (points(customer), balance(customer)) == (50, 100_000)


def test_points_paid_then_the_member_approves_the_rest(store: Store, customer: Member) -> None:
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"no_confirmation_limit": 1_000})
    ProgrammeSettings.forget_cached()
    give_points(customer, 50)
    placed = ahead_order_place(member=customer, store=store, lines=[latte()], use_points=True)
    assert placed.payment is not None and placed.order.status == "open"
    order_confirm_payment(payment_id=placed.payment.pk, member=customer, approve=True)
    placed.order.refresh_from_db()
    assert placed.order.status == "paid" and balance(customer) == 100_000 - (LATTE - 5_000)


# --- The API: POST /api/v1/me/orders takes "reward" and "use_points" -------------------------


@pytest.fixture
def member_api(member_user: Any, store: Store) -> APIClient:
    member = member_user.member
    for _ in range(2):  # the most one top-up takes is NT$100
        wallet_top_up(member=member, amount=10_000, tender="cash")
    give_points(member, 150)
    client = APIClient()
    client.force_login(member_user)
    return client


def place(client: APIClient, **body: Any) -> Any:
    body = {"store": "ahead", "lines": [{"product": product("latte").pk, "quantity": 2}], **body}
    return client.post("/api/v1/me/orders", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def test_the_api_redeems_a_reward_and_pays_with_points(member_api: APIClient, member_user: Any) -> None:
    member = member_user.member
    response = place(member_api, reward=free_item_reward().pk, use_points=True)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["discount"], body["total"]) == (LATTE, LATTE)
    assert (body["points_used"], body["paid_with_points"]) == (30, 3_000)
    assert body["wallet_balance"] == balance(member) == 20_000 - (LATTE - 3_000)
    cancelled = member_api.post(f"/api/v1/me/orders/{body['id']}/cancel").json()
    assert cancelled["wallet_balance"] == 20_000 and points(member) == 30


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reward": "big"}, 400, "validation_error"),
        ({"use_points": "yes"}, 400, "validation_error"),
        ({"reward": "unaffordable"}, 422, "insufficient_points"),
        ({"reward": "inactive"}, 422, "reward_unavailable"),
        ({"reward": "croissant"}, 422, "coupon_not_applicable"),
    ],
)
def test_the_api_refuses_with_existing_codes_and_spends_nothing(
    member_api: APIClient, member_user: Any, body: dict[str, Any], status: int, code: str
) -> None:
    member = member_user.member
    rewards = {
        "unaffordable": free_item_reward(cost=999).pk,
        "inactive": Reward.objects.create(
            name="Old", points_cost=10, template=free_item_reward().template, is_active=False
        ).pk,
        "croissant": free_item_reward(sku="croissant", name="Free croissant").pk,
    }
    sent = {key: rewards.get(value, value) if key == "reward" else value for key, value in body.items()}
    response = place(member_api, **sent)
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert (balance(member), points(member)) == (20_000, 150)
    assert not Order.objects.filter(channel="ahead").exists()


def test_the_schema_documents_the_fields_and_their_codes() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["OrderInputRequest"]["properties"]
    assert fields["reward"]["type"] == "integer" and fields["reward"]["nullable"] is True
    assert fields["use_points"]["type"] == "boolean"
    codes = set(schema["components"]["schemas"]["ProblemCode"]["enum"])
    assert {"insufficient_points", "reward_unavailable"} <= codes
    output = schema["components"]["schemas"]["AheadOrderPlacedOutput"]["properties"]
    assert output["points_used"]["type"] == output["paid_with_points"]["type"] == "integer"


# --- The portal's cart ---------------------------------------------------------------------


def cart_page(client: Client, store: Store) -> str:
    return str(client.get(f"/order/{store.slug}/cart/").content.decode())


def test_the_cart_offers_affordable_rewards_and_points_and_pays_with_them(
    member_client: Client, member: Member, store: Store
) -> None:
    fund(member)
    give_points(member, 150)
    latte_reward = free_item_reward()
    free_item_reward(cost=500, name="Free cake")  # beyond the member's points: not offered
    add_to_cart(member_client, store, "latte", quantity=2)
    page = cart_page(member_client, store)
    assert "Free latte — 120 points" in page and "Free cake" not in page
    assert "Use 150 points for NT$150" in page  # before a reward takes its points
    cart_url = f"/order/{store.slug}/cart/"
    member_client.post(cart_url, {"action": "reward", "reward": str(latte_reward.pk)})
    page = cart_page(member_client, store)
    assert 'aria-pressed="true"' in page and "−NT$135" in page
    assert "Use 30 points for NT$30" in page  # what is left after the reward
    assert not Coupon.objects.exists() and points(member) == 150  # nothing spent yet
    member_client.post(cart_url, {"action": "points", "use_points": "on"})
    page = cart_page(member_client, store)
    assert 'data-testid="wallet-pays">NT$105<' in page and "Pay NT$105 from wallet" in page
    response = pay(member_client, store)
    order = Order.objects.get(member=member)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert (order.discount, order.total) == (LATTE, LATTE)
    assert {t.kind: t.amount for t in order.tenders.all()} == {"points": 3_000, "wallet": LATTE - 3_000}
    assert balance(member) == 100_000 - (LATTE - 3_000)


def test_the_cart_takes_a_reward_and_points_back_off(member_client: Client, member: Member, store: Store) -> None:
    fund(member)
    give_points(member, 150)
    reward = free_item_reward()
    add_to_cart(member_client, store)
    cart_url = f"/order/{store.slug}/cart/"
    member_client.post(cart_url, {"action": "reward", "reward": str(reward.pk)})
    member_client.post(cart_url, {"action": "points", "use_points": "on"})
    member_client.post(cart_url, {"action": "reward", "reward": ""})
    member_client.post(cart_url, {"action": "points"})  # the box unticked sends nothing
    pay(member_client, store)
    order = Order.objects.get(member=member)
    assert (order.discount, [t.kind for t in order.tenders.all()]) == (0, ["wallet"])
    assert points(member) == 150 + order.points_earned


def test_a_refusal_on_the_cart_spends_nothing(member_client: Client, member: Member, store: Store) -> None:
    fund(member)
    give_points(member, 150)
    reward = free_item_reward(sku="croissant", name="Free croissant")
    add_to_cart(member_client, store)
    member_client.post(f"/order/{store.slug}/cart/", {"action": "reward", "reward": str(reward.pk)})
    assert "Nothing in this order qualifies for this coupon." in cart_page(member_client, store)
    response = pay(member_client, store)
    assert response.status_code == 302 and response["Location"] == f"/order/{store.slug}/cart/"
    assert (points(member), balance(member)) == (150, 100_000) and not Order.objects.exists()
    assert not Coupon.objects.exists()
