"""The liability report for the accountant (issue #17, item 4): points
outstanding by month of expiry and their value, breakage from the history of
expiry, points and wallet movements per month, wallets split into paid-in
money and bonus, and the reconciliation with the ledgers; each figure
against a small data set computed by hand, then the page, its CSV and who
may open it."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from unittest import mock

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from cafe_loyalty.core.clock import add_months
from members.models import Member, PointsMonth, PointsPolicy
from members.points import points_earn, points_spend
from members.points_expiry import points_expire_due
from members.points_months import points_months_summarise
from members.selectors import points_problems
from payments.models import Account, Store, TopUpBonusRule, Transfer
from payments.selectors.ledger import ledger_problems
from payments.selectors.liability import points_liability, wallet_liability
from payments.services.cash_out import wallet_cashable
from payments.services.top_ups import wallet_top_up
from tests.conftest import add_totp
from tests.helpers import confirm_payment, pay_from_wallet, refund_payment

pytestmark = pytest.mark.django_db

URL = "/admin/payments/account/liability/"


def local(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour), timezone.get_default_timezone())


NOW = local(2030, 6, 20)


@contextmanager
def clock(when: datetime) -> Iterator[None]:
    """The services read timezone.now(); the data set happens at known times.
    A transfer's time is its field's default, bound before any patch, so the
    transfers made meanwhile are moved to `when` too."""
    before = Transfer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield
    Transfer.objects.filter(pk__gt=before).update(created_at=when)


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


def earn(member: Member, points: int, when: datetime) -> None:
    points_earn(member=member, points=points, source="test", reference=f"t:{when:%Y%m%d}", earned_at=when)


def spend(member: Member, points: int, when: datetime) -> None:
    with clock(when):
        points_spend(member=member, points=points, source="reward", reference=f"s:{when:%Y%m%d}")


@pytest.fixture
def points_history(make_member: Callable[..., Member]) -> None:
    """Ana: 100 earned 2029-04 (40 spent, 60 expired by the job on 2030-05-01),
    200 earned 2030-02 (50 spent 2030-06). Bo: 80 earned 2029-05 and all spent
    2029-12; 30 earned 2029-06, due 2030-06-11 but the job has not run since;
    120 earned 2030-06. Points are worth NT$0.50 each."""
    PointsPolicy.objects.update_or_create(pk=1, defaults={"point_value": 50, "expiry_months": 12})
    ana, bo = make_member("Ana"), make_member("Bo")
    earn(ana, 100, local(2029, 4, 10))
    earn(bo, 80, local(2029, 5, 15))
    earn(bo, 30, local(2029, 6, 10))
    spend(ana, 40, local(2029, 9, 5))
    spend(bo, 80, local(2029, 12, 1))
    earn(ana, 200, local(2030, 2, 10))
    points_expire_due(now=local(2030, 5, 1))
    spend(ana, 50, local(2030, 6, 2))
    earn(bo, 120, local(2030, 6, 5))


def test_outstanding_points_by_month_of_expiry_are_valued_at_the_point_value(points_history: None) -> None:
    points = points_liability(months=12, now=NOW)

    expiring = {row.month: (row.points, row.value) for row in points.by_expiry}
    # Bo's 30 are overdue (the job has not run since 2030-05-01): still owed, in their month.
    assert expiring[date(2030, 6, 1)] == (30, 1_500)
    assert expiring[date(2031, 2, 1)] == (150, 7_500)
    assert expiring[date(2031, 6, 1)] == (120, 6_000)
    assert expiring[date(2030, 9, 1)] == (0, 0)  # months between are shown, empty
    assert [row.month for row in points.by_expiry][:2] == [date(2030, 6, 1), date(2030, 7, 1)]
    assert len(points.by_expiry) == 13
    assert (points.outstanding, points.point_value, points.value) == (300, 50, 15_000)


def test_breakage_is_the_share_of_points_past_their_expiry_that_expired_unspent(points_history: None) -> None:
    points = points_liability(months=12, now=NOW)

    # Past expiry: Ana's 100 (60 expired), Bo's 80 (all spent), Bo's 30 (overdue: will expire).
    assert (points.settled, points.expired) == (210, 90)
    assert points.breakage_rate == pytest.approx(90 / 210)
    assert points.expected_breakage == 129  # 300 × 90 / 210 = 128.57…
    assert points.expected_breakage_value == 6_450


def test_points_earned_spent_and_expired_per_month_close_on_the_balance(points_history: None) -> None:
    months = {row.month: row for row in points_liability(months=12, now=NOW).months}

    assert list(months)[0] == date(2029, 7, 1) and list(months)[-1] == date(2030, 6, 1)
    figures = {m: (r.earned, r.spent, r.expired, r.other, r.closing) for m, r in months.items()}
    assert figures[date(2029, 8, 1)] == (0, 0, 0, 0, 210)  # the 210 earned before the window
    assert figures[date(2029, 9, 1)] == (0, 40, 0, 0, 170)
    assert figures[date(2029, 12, 1)] == (0, 80, 0, 0, 90)
    assert figures[date(2030, 2, 1)] == (200, 0, 0, 0, 290)
    assert figures[date(2030, 5, 1)] == (0, 0, 60, 0, 230)
    assert figures[date(2030, 6, 1)] == (120, 50, 0, 0, 300)


def test_points_reconcile_with_the_members_balances_and_the_entries(points_history: None) -> None:
    points = points_liability(months=12, now=NOW)

    assert (points.live_lots, points.member_balances, points.entries_total) == (300, 300, 300)
    assert points.reconciled


@pytest.fixture
def wallet_history(make_member: Callable[..., Member]) -> list[Member]:
    """A NT$100 bonus on top-ups of NT$1,000 or more. Ana tops up NT$1,000 in
    May (bonus 100), pays 40 then 300: bonus all spent. Bo tops up NT$2,000 in
    June (bonus 100), pays 60 and gets 20 back: 60 of his bonus is left. Cy tops
    up NT$500 in April (no bonus)."""
    store = Store.objects.create(name="Da'an", slug="daan")
    TopUpBonusRule.objects.create(name="Top up NT$1,000, get NT$100", min_amount=100_000, bonus=10_000)
    ana, bo, cy = make_member("Ana"), make_member("Bo"), make_member("Cy")
    with clock(local(2030, 4, 1)):
        wallet_top_up(member=cy, amount=50_000, tender="cash", store=store)
    with clock(local(2030, 5, 3)):
        wallet_top_up(member=ana, amount=100_000, tender="cash", store=store)
    with clock(local(2030, 5, 4)):
        pay(ana, 4_000, store)
    with clock(local(2030, 6, 3)):
        pay(ana, 30_000, store)
    with clock(local(2030, 6, 4)):
        wallet_top_up(member=bo, amount=200_000, tender="cash", store=store)
    with clock(local(2030, 6, 5)):
        payment = pay(bo, 6_000, store)
    with clock(local(2030, 6, 6)):
        refund_payment(payment_id=payment.pk, amount=2_000)
    return [ana, bo, cy]


def pay(member: Member, amount: int, store: Store) -> Any:
    payment = pay_from_wallet(member=member, amount=amount, store=store)
    if payment.status != "succeeded":
        confirm_payment(payment_id=payment.pk, member=member)
    return payment


def test_wallet_liability_is_split_into_money_paid_in_and_unspent_bonus(wallet_history: list[Member]) -> None:
    wallets = wallet_liability(months=12, now=NOW)

    assert (wallets.balance, wallets.bonus, wallets.paid_in) == (332_000, 6_000, 326_000)
    # The same rule as a cash-out's: what is not bonus may be paid back.
    accounts = Account.objects.filter(kind=Account.Kind.WALLET)
    assert wallets.paid_in == sum(wallet_cashable(wallet=account).amount for account in accounts)


def test_wallet_top_ups_bonus_and_spend_per_month_close_on_the_balance(wallet_history: list[Member]) -> None:
    months = {row.month: row for row in wallet_liability(months=12, now=NOW).months}

    figures = {m: (r.top_ups, r.bonus, r.spent, r.refunds, r.cash_outs, r.other, r.closing) for m, r in months.items()}
    assert figures[date(2030, 3, 1)] == (0, 0, 0, 0, 0, 0, 0)
    assert figures[date(2030, 4, 1)] == (50_000, 0, 0, 0, 0, 0, 50_000)
    assert figures[date(2030, 5, 1)] == (100_000, 10_000, 4_000, 0, 0, 0, 156_000)
    assert figures[date(2030, 6, 1)] == (200_000, 10_000, 36_000, 2_000, 0, 0, 332_000)


def test_liability_reconciles_with_both_ledgers_to_the_unit_on_a_generated_data_set(
    make_member: Callable[..., Member],
) -> None:
    """Members with random top-ups, payments, refunds, points earned and
    spent: the report's totals equal the ledgers' own sums, and both ledgers
    pass their checks."""
    rng = random.Random(17)
    store = Store.objects.create(name="Xinyi", slug="xinyi")
    TopUpBonusRule.objects.create(name="Bonus", min_amount=150_000, bonus=15_000)
    for i in range(6):
        member = make_member(f"G{i}")
        wallet_top_up(member=member, amount=rng.randrange(50_000, 300_000, 100), tender="cash", store=store)
        for _ in range(rng.randint(1, 4)):
            payment = pay(member, rng.randrange(1_000, 20_000, 100), store)
            if rng.random() < 0.4:
                refund_payment(payment_id=payment.pk, amount=rng.randrange(100, payment.amount + 1, 100))
        earn(member, rng.randint(10, 500), timezone.now())
        member.refresh_from_db()
        if member.points_balance > 5:
            points_spend(member=member, points=rng.randint(1, member.points_balance), source="reward", reference="g")

    points, wallets = points_liability(), wallet_liability()

    assert ledger_problems() == [] and points_problems() == []
    held = sum(account.balance for account in Account.objects.filter(kind=Account.Kind.WALLET))
    assert wallets.balance == wallets.transfers_net == held > 0
    assert wallets.months[-1].closing == held
    balances = sum(Member.objects.values_list("points_balance", flat=True))
    assert points.live_lots == points.member_balances == points.entries_total == balances > 0
    assert points.reconciled and wallets.reconciled


# --- The page ----------------------------------------------------------------------


def test_the_page_shows_the_figures_and_the_reconciliation(manager_client: Client, points_history: None) -> None:
    page = manager_client.get(URL).content.decode()

    for testid in ("chart-points-expiry", "chart-points-flow", "chart-wallet-flow", "chart-wallet-balance"):
        assert f'data-testid="{testid}"' in page, testid
    assert "Points: live lots 300 = members' balances 300 = ledger entries 300" in page
    assert "Wallets: sum of wallet and offline hold balances NT$0 = transfers into them less out of them NT$0" in page
    assert page.count("— reconciled") == 2
    assert "one point takes NT$0.50 off a bill" in page  # the till's value, said on the page


@pytest.mark.breaks_invariants
def test_a_points_balance_that_disagrees_with_the_ledger_is_flagged(
    manager_client: Client, points_history: None
) -> None:
    Member.objects.filter(display_name="Bo").update(points_balance=F("points_balance") + 1)

    page = manager_client.get(URL).content.decode()

    assert "members' balances 301" in page
    assert "does not reconcile: run check_points" in page


def test_the_csv_has_every_figure_as_numbers_with_a_byte_order_mark(
    manager_client: Client, points_history: None
) -> None:
    response = manager_client.get(URL + "?months=6&format=csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    values = {row[0]: row[1] for row in rows if len(row) == 2}
    assert values["Points outstanding (live lots)"] == "300"
    assert values["Value of one point (TWD)"] == "0.50"
    assert values["Value of outstanding points (TWD)"] == "150.00"
    assert values["Points reconcile"] == "yes"
    months = [row for row in rows if row and row[0].startswith("20") and len(row) == 6]
    assert len(months) == 6  # the months asked for, not the default 12


def test_the_csv_speaks_the_managers_language(manager_client: Client, points_history: None) -> None:
    body = manager_client.get(URL + "?format=csv", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode("utf-8")
    assert "點數" in body


def test_a_barista_or_a_shift_manager_cannot_open_the_report(
    client: Client, barista_user: Any, shift_manager_user: Any, django_user_model: Any
) -> None:
    for user in (barista_user, shift_manager_user):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        assert client.get(URL + "?format=csv").status_code == 302
    staff_without_permission = django_user_model.objects.create_user(username="s", email="s@x.tw", is_staff=True)
    add_totp(staff_without_permission)
    client.force_login(staff_without_permission)
    assert client.get(URL).status_code == 403


# The session, user, MFA and permissions (5); the side bar's "can add" checks
# (3); points: lots, entries, members, by expiry, per month (5; the points
# policy is cached); wallets: balances with the bonus split, transfers, per
# month (3); the redemption rate: reward coupons used, points paid at the
# till, the catalogue, reward coupons not yet used (4).
LIABILITY_PAGE_QUERIES = 19


@pytest.mark.parametrize("members", [1, 5])
def test_the_page_makes_a_pinned_number_of_queries(
    manager_client: Client, make_member: Callable[..., Member], members: int, django_assert_num_queries: Any
) -> None:
    for i in range(members):
        member = make_member(f"Q{i}", balance=10_000)
        earn(member, 10 + i, timezone.now())
    manager_client.get(URL)
    with django_assert_num_queries(LIABILITY_PAGE_QUERIES):
        assert manager_client.get(URL).status_code == 200


def test_summarised_months_of_points_read_as_they_did_live(points_history: None) -> None:
    live = points_liability(now=NOW)
    months = [add_months(date(2029, 3, 1), i) for i in range(16)]
    # March 2029 to June 2030: June is the current month and is never summarised; May 2029 left out (a gap).
    assert points_months_summarise(months=[m for m in months if m != date(2029, 5, 1)], started=NOW) == 14
    assert PointsMonth.objects.filter(month=date(2030, 5, 1), kind="expire").get().points == -60
    assert points_liability(now=NOW) == live
    # The current month stays live: a spend today shows at once.
    ana = Member.objects.get(display_name="Ana")
    spend(ana, 10, NOW)
    assert points_liability(now=NOW).months[-1].spent == live.months[-1].spent + 10


def test_with_the_summary_the_page_makes_one_more_query(
    manager_client: Client, points_history: None, django_assert_num_queries: Any
) -> None:
    today = timezone.localdate()
    points_months_summarise(months=[date(today.year - 1, m, 1) for m in range(1, 13)])
    manager_client.get(URL)
    # Which months are summarised, the summary, the rest of the entries (instead of two passes over them all).
    with django_assert_num_queries(LIABILITY_PAGE_QUERIES + 1):
        assert manager_client.get(URL).status_code == 200
