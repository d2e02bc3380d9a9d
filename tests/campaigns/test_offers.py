"""Coupons, rewards, referrals, birthdays and feedback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from campaigns.birthdays import birthday_rewards_grant
from campaigns.coupons import coupon_evaluate, coupon_issue, coupon_redeem
from campaigns.earning import QuoteLine
from campaigns.exceptions import (
    CouponExpired,
    CouponInvalid,
    CouponNotApplicable,
    CouponNotStackable,
    CouponUsed,
    ReferralRefused,
)
from campaigns.models import Coupon, CouponTemplate, Referral, Reward
from campaigns.referrals import MONTHLY_CAP, referral_attach, referral_code_for
from campaigns.rewards import reward_redeem
from members.exceptions import InsufficientPoints
from members.models import Member, Visit
from members.points import points_earn
from members.selectors import points_problems
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory
from tests.helpers import pay_from_wallet, refund_payment, run_concurrently

pytestmark = pytest.mark.django_db

LATTE = QuoteLine("latte-m", "coffee", 2, 30_000)
CROISSANT = QuoteLine("croissant", "food", 1, 8_000)


def template(**kwargs: Any) -> CouponTemplate:
    defaults = {"name": "T", "kind": CouponTemplate.Kind.PERCENT_OFF, "percent_off": 10}
    return CouponTemplate.objects.create(**{**defaults, **kwargs})


def test_coupon_kinds_compute_their_discount(make_member: Callable[..., Member]) -> None:
    member = make_member()
    cases = [
        (template(kind="percent_off", percent_off=15), 5_700),  # 15% of 38,000
        (template(kind="amount_off", amount_off=3_000), 3_000),
        (template(kind="free_item", scope_category="food"), 8_000),
        (template(kind="buy_x_get_y", buy_quantity=1, get_quantity=1, scope_category="coffee"), 15_000),
        (template(kind="percent_off", percent_off=50, scope_sku="croissant"), 4_000),
    ]
    for tpl, expected in cases:
        coupon = coupon_issue(member=member, template=tpl, source="test")
        result = coupon_evaluate(code=coupon.code, member=member, lines=[LATTE, CROISSANT], subtotal=38_000)
        assert result.amount == expected, tpl.kind


def test_coupon_refusals_say_why(make_member: Callable[..., Member]) -> None:
    member, other = make_member(), make_member()
    tpl = template(min_spend=50_000)
    coupon = coupon_issue(member=member, template=tpl, source="test")
    with pytest.raises(CouponNotApplicable, match="Spend at least"):
        coupon_evaluate(code=coupon.code, member=member, lines=[LATTE], subtotal=30_000)
    with pytest.raises(CouponInvalid):
        coupon_evaluate(code=coupon.code, member=other, lines=[LATTE], subtotal=60_000)
    Coupon.objects.filter(pk=coupon.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CouponExpired):
        coupon_evaluate(code=coupon.code, member=member, lines=[LATTE], subtotal=60_000)


def test_stacking_rule_refuses_a_second_non_stackable_coupon(make_member: Callable[..., Member]) -> None:
    member = make_member()
    first = coupon_issue(member=member, template=template(), source="t")
    second = coupon_issue(member=member, template=template(), source="t")
    with pytest.raises(CouponNotStackable):
        coupon_evaluate(code=second.code, member=member, lines=[LATTE], subtotal=30_000, applied_codes=[first.code])
    a = coupon_issue(member=member, template=template(stackable=True), source="t")
    b = coupon_issue(member=member, template=template(stackable=True), source="t")
    stacked = coupon_evaluate(code=b.code, member=member, lines=[LATTE], subtotal=30_000, applied_codes=[a.code])
    assert stacked.amount == 3_000  # 10% of 30,000


def test_coupon_is_single_use_and_idempotent_per_order(make_member: Callable[..., Member]) -> None:
    member = make_member()
    coupon = coupon_issue(member=member, template=template(), source="t")
    coupon_redeem(code=coupon.code, member=member, order_reference="order:1", discount=100)
    coupon_redeem(code=coupon.code, member=member, order_reference="order:1", discount=100)  # retry: fine
    with pytest.raises(CouponUsed):
        coupon_redeem(code=coupon.code, member=member, order_reference="order:2", discount=100)


def test_reward_spends_points_and_issues_a_coupon_atomically(make_member: Callable[..., Member]) -> None:
    member = make_member()
    reward = Reward.objects.create(name="Drip", points_cost=300, template=template(kind="free_item"))
    points_earn(member=member, points=299, source="order", reference="o")
    with pytest.raises(InsufficientPoints):
        reward_redeem(member=member, reward=reward)
    assert not Coupon.objects.filter(member=member).exists()
    points_earn(member=member, points=1, source="order", reference="o2")
    coupon = reward_redeem(member=member, reward=reward)
    member.refresh_from_db()
    assert member.points_balance == 0 and coupon.source == "reward"
    assert points_problems() == []


def test_birthday_reward_once_per_year(make_member: Callable[..., Member]) -> None:
    member = make_member()
    member.birthday = date(1990, 11, 3)
    member.save()
    assert birthday_rewards_grant(today=date(2026, 11, 24)) == 1
    assert birthday_rewards_grant(today=date(2026, 11, 25)) == 0
    member.refresh_from_db()
    assert member.points_balance == 50
    assert birthday_rewards_grant(today=date(2027, 11, 1)) == 1


def test_self_referral_is_refused() -> None:
    referrer = MemberFactory.create(display_name="R", email="ann.lee@gmail.com")
    referrer.phone = "0912-345-678"
    referrer.save()
    code = referral_code_for(member=referrer)
    for email, phone in [("annlee+2@gmail.com", ""), ("x@example.com", "+886 912 345 678")]:
        friend = MemberFactory.create(display_name="F", email=email, phone=phone)
        with pytest.raises(ReferralRefused, match="yourself"):
            referral_attach(friend=friend, code=code)
    with pytest.raises(ReferralRefused):
        referral_attach(friend=referrer, code=code)


def test_referral_device_reuse_and_monthly_cap(make_member: Callable[..., Member]) -> None:
    referrer = make_member()
    code = referral_code_for(member=referrer)
    referral_attach(friend=make_member(), code=code, device_id="dev-1")
    with pytest.raises(ReferralRefused, match="device"):
        referral_attach(friend=make_member(), code=code, device_id="dev-1")
    for _ in range(MONTHLY_CAP - 1):
        referral_attach(friend=make_member(), code=code)
    with pytest.raises(ReferralRefused, match="monthly"):
        referral_attach(friend=make_member(), code=code)


def test_referral_is_only_for_members_before_their_first_order(make_member: Callable[..., Member]) -> None:
    referrer, regular = make_member(), make_member()
    wallet_top_up(member=regular, amount=50_000, tender="cash")
    pay_from_wallet(member=regular, amount=10_000)
    with pytest.raises(ReferralRefused, match="new members"):
        referral_attach(friend=regular, code=referral_code_for(member=referrer))
    assert not Referral.objects.exists()


def test_referral_rewards_on_first_paid_order_and_reverses_on_refund(make_member: Callable[..., Member]) -> None:
    referrer, friend = make_member(), make_member()
    referral_attach(friend=friend, code=referral_code_for(member=referrer))
    wallet_top_up(member=friend, amount=50_000, tender="cash")
    payment = pay_from_wallet(member=friend, amount=10_000)
    referrer.refresh_from_db()
    assert referrer.points_balance == 100
    assert Referral.objects.get(friend=friend).status == "rewarded"
    refund_payment(payment_id=payment.pk)
    referrer.refresh_from_db()
    friend.refresh_from_db()
    assert referrer.points_balance == 0 and friend.points_balance == 0
    assert Referral.objects.get(friend=friend).status == "reversed"
    assert points_problems() == []


def test_offers_page_redeem_and_feedback(member_client: Client, member: Member) -> None:
    reward = Reward.objects.create(name="Pastry", points_cost=200, template=template(kind="free_item"))
    points_earn(member=member, points=250, source="order", reference="o")
    assert member_client.get("/offers/").status_code == 200
    member_client.post(f"/offers/rewards/{reward.pk}/redeem/")
    page = member_client.get("/offers/").content.decode()
    assert "<svg" in page and 'data-testid="coupon"' in page
    member_client.post(f"/offers/rewards/{reward.pk}/redeem/")  # not enough points left: a message, not a 500
    assert Coupon.objects.filter(member=member).count() == 1
    # Only the member's own orders (a loyalty visit) can be rated.
    assert member_client.post("/offers/feedback/order:1/", {"rating": "4"}).status_code == 404
    Visit.objects.create(member=member, at=timezone.now(), amount=12_000, reference="order:1", store_slug="daan")
    assert member_client.post("/offers/feedback/order:1/", {"rating": "9"}).status_code == 200
    assert member_client.post("/offers/feedback/order:1/", {"rating": "4", "comment": "Great"}).status_code == 302
    feedback = member.feedback.get()
    assert (feedback.rating, feedback.store_slug) == (4, "daan")
    # Rated once: a second post changes nothing.
    member_client.post("/offers/feedback/order:1/", {"rating": "1"})
    assert member.feedback.get().rating == 4


def test_referral_link_attaches_at_signup(client: Client) -> None:
    from django.core import mail  # noqa: F401

    referrer = MemberFactory.create(display_name="Ref", email="ref@example.com")
    code = referral_code_for(member=referrer)
    client.get(f"/offers/r/{code}/")
    client.post(
        "/accounts/signup/",
        {
            "email": "friend@example.com",
            "password1": "correct-horse-battery-42",
            "password2": "correct-horse-battery-42",
            "name": "Friend",
        },
    )
    assert Referral.objects.get(referrer=referrer).friend.email == "friend@example.com"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_redemptions_of_one_coupon_exactly_one_wins(make_member: Callable[..., Member]) -> None:
    assert connection.vendor == "postgresql"
    member = make_member()
    coupon = coupon_issue(member=member, template=template(), source="t")

    def redeem(i: int) -> Coupon:
        return coupon_redeem(code=coupon.code, member=member, order_reference=f"order:{i}", discount=100)

    results = run_concurrently(20, redeem, allowed=(CouponUsed,))
    winners = [r for r in results if isinstance(r, Coupon)]
    assert len(winners) == 1 and sum(isinstance(r, CouponUsed) for r in results) == 19
    coupon.refresh_from_db()
    assert coupon.order_reference == winners[0].order_reference
