"""Paying a wallet back in cash at the counter: approval, the bonus rule,
idempotent forms, the drawer on the Z report, and the ledger."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from members.models import Member, Notice
from payments.models import Account, CashOut, Store, StoreStaff, TopUpBonusRule, Transfer
from payments.selectors.ledger import ledger_problems
from payments.selectors.shifts import z_report
from payments.services.cash_out import wallet_cashable
from payments.services.codes import payment_code_issue
from payments.services.risk import wallet_freeze
from payments.services.shifts import shift_open
from tests.conftest import MemberFactory, approver_login
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(client: Client, barista_user: Any) -> tuple[Client, Store]:
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    client.force_login(barista_user)
    return client, store


@pytest.fixture
def member_with_bonus(db: Any) -> Member:
    """Topped up NT$1,000 and got NT$100 bonus: NT$1,100 in the wallet."""
    TopUpBonusRule.objects.create(name="1000 get 100", min_amount=100_000, bonus=10_000)
    return MemberFactory.create(display_name="Wen", balance=100_000)


def wallet(member: Member) -> Account:
    return Account.objects.get(member=member)


def test_bonus_stays_until_spending_has_used_it_up(member_with_bonus: Member) -> None:
    member = member_with_bonus
    assert wallet_cashable(wallet=wallet(member)).amount == 100_000  # not the NT$100 bonus
    pay_from_wallet(member=member, amount=6_000)
    cashable = wallet_cashable(wallet=wallet(member))
    assert (cashable.balance, cashable.bonus_left, cashable.amount) == (104_000, 4_000, 100_000)
    pay_from_wallet(member=member, amount=30_000)
    assert wallet_cashable(wallet=wallet(member)).amount == 74_000  # the bonus is spent: all of it may leave


def test_a_barista_needs_a_shift_manager_and_a_reason(
    counter: tuple[Client, Store], member_with_bonus: Member, shift_manager_user: Any
) -> None:
    client, _store = counter
    form = {"card": member_with_bonus.card_number, "amount": "", "reason": "moving away", "key": "c-1"}
    refused = client.post("/pos/cash-out/", form).content.decode()
    assert "needs a shift manager or manager" in refused
    wrong = {**form, "approver_email": shift_manager_user.email, "approver_password": "nope"}
    assert "email or password is wrong" in client.post("/pos/cash-out/", wrong).content.decode()
    no_reason = {**form, "reason": " ", **approver_login(shift_manager_user)}
    assert "Say why" in client.post("/pos/cash-out/", no_reason).content.decode()
    assert not CashOut.objects.exists()
    assert wallet(member_with_bonus).balance == 110_000


def test_cash_out_pays_back_once_leaves_the_bonus_and_counts_in_the_drawer(
    counter: tuple[Client, Store], member_with_bonus: Member, shift_manager_user: Any, barista_user: Any
) -> None:
    client, store = counter
    member = member_with_bonus
    shift = shift_open(store=store, user=shift_manager_user, opening_float=50_000)
    approved = {
        "card": payment_code_issue(member=member).code,  # the pay code identifies the member too
        "amount": "",
        "reason": "leaving the programme",
        "key": "c-2",
        **approver_login(shift_manager_user),
    }
    page = client.post("/pos/cash-out/", approved).content.decode()
    assert "Pay NT$1,000 in cash from the drawer. Wallet balance now NT$100." in page
    assert "Already done" in client.post("/pos/cash-out/", approved).content.decode()  # double tap
    done = CashOut.objects.get()
    assert (done.amount, done.store, done.approved_by, done.actor.email) == (
        100_000,
        store,
        shift_manager_user,
        "barista@example.com",
    )
    transfer = Transfer.objects.get(cash_out=done)
    assert (transfer.debit_account, transfer.kind) == (wallet(member), Transfer.Kind.CASH_OUT)
    assert wallet(member).balance == 10_000
    report = z_report(shift=shift)
    assert report.cash_outs == 100_000
    assert report.expected_cash == 50_000 - 100_000
    notice = Notice.objects.filter(member=member).first()
    assert notice is not None and notice.title == "Paid back NT$1,000 in cash"
    # Nothing more may leave: the NT$100 left is bonus.
    again = {**approved, "key": "c-3", "card": member.card_number, **approver_login(shift_manager_user)}
    assert "At most NT$0 can be paid back" in client.post("/pos/cash-out/", again).content.decode()
    assert ledger_problems() == []


def test_a_shift_manager_at_the_till_needs_a_second_person_and_part_amounts_work(
    client: Client, shift_manager_user: Any, manager_user: Any, member_with_bonus: Member
) -> None:
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=shift_manager_user, store=store, role="Shift manager")
    client.force_login(shift_manager_user)
    form = {"card": member_with_bonus.card_number, "amount": "250", "reason": "asked for it", "key": "c-4"}
    alone = client.post("/pos/cash-out/", form).content.decode()
    assert "needs a shift manager or manager" in alone
    themselves = client.post("/pos/cash-out/", {**form, **approver_login(shift_manager_user)}).content.decode()
    assert "Someone other than the person at the till must approve this." in themselves
    assert not CashOut.objects.exists()
    assert (
        "Pay NT$250 in cash" in client.post("/pos/cash-out/", {**form, **approver_login(manager_user)}).content.decode()
    )
    too_much = {**form, "key": "c-5", "amount": "900", **approver_login(manager_user)}
    assert "At most NT$750 can be paid back" in client.post("/pos/cash-out/", too_much).content.decode()
    last = {**too_much, "amount": "750", **approver_login(manager_user)}
    assert "Pay NT$750 in cash" in client.post("/pos/cash-out/", last).content.decode()
    assert wallet(member_with_bonus).balance == 10_000
    assert ledger_problems() == []


def test_a_frozen_wallet_is_not_paid_back(
    client: Client, shift_manager_user: Any, manager_user: Any, member_with_bonus: Member
) -> None:
    Store.objects.create(name="Da'an", slug="daan")
    client.force_login(shift_manager_user)
    wallet_freeze(member=member_with_bonus, reason="lost phone", by_staff=False)
    form = {"card": member_with_bonus.card_number, "reason": "asked", "key": "c-6", **approver_login(manager_user)}
    assert "frozen" in client.post("/pos/cash-out/", form).content.decode()
    assert not CashOut.objects.exists()


@pytest.mark.parametrize("rules", [1, 20])
def test_counter_wallet_pages_make_constant_queries(
    counter: tuple[Client, Store],
    member_with_bonus: Member,
    shift_manager_user: Any,
    rules: int,
    django_assert_max_num_queries: Any,
) -> None:
    client, _store = counter
    for i in range(rules):
        TopUpBonusRule.objects.create(name=f"rule {i}", min_amount=200_000 + i, bonus=1_000 + i)
    with django_assert_max_num_queries(8):
        client.get("/pos/top-up/")
    with django_assert_max_num_queries(7):
        client.get("/pos/cash-out/")
    form = {
        "card": member_with_bonus.card_number,
        "reason": "leaving",
        "key": f"q-{rules}",
        **approver_login(shift_manager_user),
    }
    # The approver's sign-in costs a few: their password, second factor, role and verified email.
    with django_assert_max_num_queries(33):
        page = client.post("/pos/cash-out/", form)
    assert b"Pay NT$1,000 in cash" in page.content


def test_guessing_an_approver_password_stops_after_five_tries(
    counter: tuple[Client, Store], member_with_bonus: Member, shift_manager_user: Any
) -> None:
    client, _store = counter
    form = {"card": member_with_bonus.card_number, "reason": "leaving", "approver_email": shift_manager_user.email}
    for i in range(5):
        wrong = {**form, "approver_password": f"guess-{i}", "key": f"g-{i}"}
        assert "email or password is wrong" in client.post("/pos/cash-out/", wrong).content.decode()
    right = {**form, **approver_login(shift_manager_user), "key": "g-right"}
    assert "Too many wrong tries for this approver" in client.post("/pos/cash-out/", right).content.decode()
    assert not CashOut.objects.exists()
