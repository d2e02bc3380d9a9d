"""One home per rule, tested in one place: can this wallet pay; expiring a held
payment; spent today; the top-up bonus. (Refund approval on the cumulative
amount is in test_one_sale_path.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from members.models import Member
from payments.exceptions import AccountFrozen, InsufficientFunds, LimitExceeded, PaymentNotPending
from payments.models import Account, Order, Payment, ProgrammeSettings, Tender, TopUpBonusRule
from payments.selectors.wallet import top_up_offers
from payments.services.orders import order_refresh_pending, orders_expire_held
from payments.services.risk import spent_today, wallet_check_can_pay, wallet_freeze, wallet_lock_with_activity
from payments.services.top_ups import top_up_bonus, wallet_top_up
from tests.helpers import confirm_payment, pay_from_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(programme: ProgrammeSettings) -> ProgrammeSettings:
    """Small limits, so each rule is easy to reach."""
    ProgrammeSettings.objects.filter(pk=programme.pk).update(
        velocity_per_minute=2, daily_limit_cap=30_000, no_confirmation_limit=5_000
    )
    ProgrammeSettings.forget_cached()
    return ProgrammeSettings.current()


def can_pay(member: Member, amount: int, programme: ProgrammeSettings) -> None:
    with transaction.atomic():
        activity = wallet_lock_with_activity(member=member, now=timezone.now())
        wallet_check_can_pay(activity=activity, amount=amount, programme=programme)


def test_can_pay_refuses_in_the_order_a_barista_explains_it(
    make_member: Callable[..., Member], strict: ProgrammeSettings
) -> None:
    member = make_member(balance=10_000)
    can_pay(member, 10_000, strict)  # all of it, within every limit
    with pytest.raises(InsufficientFunds):
        can_pay(member, 10_001, strict)
    with pytest.raises(LimitExceeded) as over:
        can_pay(member, 30_001, strict)  # over the limit and the balance: the limit is said first
    assert over.value.extra == {"rule": "daily_limit"}
    wallet_freeze(member=member, reason="lost phone", by_staff=False)
    with pytest.raises(AccountFrozen):
        can_pay(member, 1, strict)


def test_confirming_a_held_payment_applies_the_same_rule_as_paying(
    make_member: Callable[..., Member], code_for: Any, strict: ProgrammeSettings
) -> None:
    """Velocity too (confirmation used to skip it), without counting the held
    payment against itself."""
    member = make_member(balance=100_000)
    held = pay_from_wallet(member=member, amount=6_000)  # above NT$50: waits
    assert held.status == Payment.Status.REQUIRES_CONFIRMATION
    Payment.objects.filter(pk=held.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    pay_from_wallet(member=member, amount=1_000)
    pay_from_wallet(member=member, amount=1_000)  # two payments in the last minute: the limit
    with pytest.raises(LimitExceeded) as too_fast:
        confirm_payment(payment_id=held.pk, member=member)
    assert too_fast.value.extra == {"rule": "velocity"}


def test_confirming_checks_the_daily_limit_like_paying(
    make_member: Callable[..., Member], code_for: Any, strict: ProgrammeSettings
) -> None:
    member = make_member(balance=100_000)
    Account.objects.filter(member=member).update(daily_limit=25_000)
    held = pay_from_wallet(member=member, amount=20_000)
    pay_from_wallet(member=member, amount=4_000)  # 24,000 with the held one: fits
    confirmed = confirm_payment(payment_id=held.pk, member=member)  # counted once: 24,000 ≤ 25,000
    assert confirmed.payment.status == Payment.Status.SUCCEEDED
    assert confirmed.order.status == Order.Status.PAID
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=2))  # clear of the velocity rule
    with pytest.raises(LimitExceeded) as over:
        pay_from_wallet(member=member, amount=2_000)  # 26,000 would pass 25,000
    assert over.value.extra == {"rule": "daily_limit"}


def test_spent_today_counts_succeeded_and_held_payments_since_local_midnight(
    make_member: Callable[..., Member], code_for: Any, strict: ProgrammeSettings
) -> None:
    ProgrammeSettings.objects.filter(pk=strict.pk).update(velocity_per_minute=100)
    ProgrammeSettings.forget_cached()
    member = make_member(balance=100_000)
    pay_from_wallet(member=member, amount=2_000)
    pay_from_wallet(member=member, amount=6_000)  # held
    declined = pay_from_wallet(member=member, amount=7_000)
    confirm_payment(payment_id=declined.pk, member=member, approve=False)
    yesterday = pay_from_wallet(member=member, amount=1_000)
    Payment.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert spent_today(member=member, now=timezone.now()) == 8_000


def test_a_held_payment_expires_by_one_rule_on_read_and_by_the_job(
    make_member: Callable[..., Member], code_for: Any, strict: ProgrammeSettings
) -> None:
    member = make_member(balance=100_000)
    first = pay_from_wallet(member=member, amount=6_000)
    second = pay_from_wallet(member=member, amount=6_000)
    Payment.objects.update(confirm_by=timezone.now() - timedelta(seconds=1))
    order_refresh_pending(order=first.tender.order)  # on read (the till's poll, the API's GET)
    assert Payment.objects.get(pk=first.pk).decline_code == "confirmation_expired"
    assert orders_expire_held() == 1  # the job takes the other
    for sale in (first, second):
        payment = Payment.objects.get(pk=sale.pk)
        assert (payment.status, payment.decline_code) == ("expired", "confirmation_expired")
        assert Tender.objects.get(payment=payment).status == Tender.Status.FAILED
        assert Order.objects.get(pk=sale.tender.order.pk).status == Order.Status.VOID
    with pytest.raises(PaymentNotPending):
        confirm_payment(payment_id=second.pk, member=member)


def test_the_top_up_bonus_shown_is_the_bonus_given(make_member: Callable[..., Member]) -> None:
    TopUpBonusRule.objects.create(name="500 gets 30", min_amount=50_000, bonus=3_000)
    TopUpBonusRule.objects.create(name="1000 gets 100", min_amount=100_000, bonus=10_000)
    TopUpBonusRule.objects.create(name="ended", min_amount=10_000, bonus=9_000, ends_at=timezone.now())
    offers = top_up_offers(at=timezone.now())
    assert [rule.name for rule in offers] == ["500 gets 30", "1000 gets 100"]
    for amount, bonus in [(49_900, 0), (50_000, 3_000), (99_900, 3_000), (100_000, 10_000)]:
        assert top_up_bonus(offers, amount) == bonus  # what the top-up pages show
        member = make_member()
        assert wallet_top_up(member=member, amount=amount, tender="cash").top_up.bonus == bonus
