"""Property: any sequence of top-ups, payments, confirmations, refunds and
freezes does what a small, independent model of the programme's rules says.

The model below knows only the rules (limits, cap, bonus, confirmation,
refunds) and the operations it was given; it never reads a balance back from
the services. After each step every wallet must hold what the model computed,
every payment must have the status and refunded amount the model computed, a
step must be refused exactly when the model predicts a refusal (and with the
refusal it predicts), and the ledger invariants must hold; the points
invariants must hold at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from members.models import Member
from members.selectors import points_problems
from payments.exceptions import (
    AccountFrozen,
    InsufficientFunds,
    LimitExceeded,
    PaymentNotPending,
    PaymentNotRefundable,
    RefundExceedsPayment,
    RefundRequiresApproval,
    TopUpAmountInvalid,
    WalletCapExceeded,
    WalletError,
)
from payments.models import Account, Payment, ProgrammeSettings, Store, TopUpBonusRule
from payments.selectors.ledger import ledger_problems
from payments.services.ledger import forget_cached_accounts
from payments.services.risk import wallet_freeze, wallet_unfreeze
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory
from tests.helpers import confirm_payment, pay_from_wallet, refund_payment

MEMBERS = 2

# The programme the test sets up, small enough that every limit is reached.
PROGRAMME = {
    "min_top_up": 10_000,
    "max_top_up": 300_000,
    "wallet_cap": 500_000,
    "no_confirmation_limit": 50_000,
    "daily_limit_cap": 120_000,
    "velocity_per_minute": 4,
    "refund_approval_threshold": 50_000,
}
BONUS_FROM, BONUS = 200_000, 20_000  # one running top-up bonus rule

SUCCEEDED, PENDING, DECLINED = "succeeded", "requires_confirmation", "declined"


@dataclass
class ModelPayment:
    member: int
    amount: int
    status: str
    refunded: int = 0


@dataclass
class WalletModel:
    """The rules, written down again from the product's description. Each
    method applies one operation and returns the refusal it predicts, or None."""

    balance: list[int] = field(default_factory=lambda: [0] * MEMBERS)
    frozen: list[bool] = field(default_factory=lambda: [False] * MEMBERS)
    payments: list[ModelPayment] = field(default_factory=list)

    def spent_today(self, member: int) -> int:
        # Gross spend: payments waiting for confirmation count, refunds do not give it back.
        return sum(p.amount for p in self.payments if p.member == member and p.status in (SUCCEEDED, PENDING))

    def top_up(self, member: int, amount: int) -> type[WalletError] | None:
        if not PROGRAMME["min_top_up"] <= amount <= PROGRAMME["max_top_up"]:
            return TopUpAmountInvalid
        bonus = BONUS if amount >= BONUS_FROM else 0
        if self.balance[member] + amount + bonus > PROGRAMME["wallet_cap"]:
            return WalletCapExceeded
        self.balance[member] += amount + bonus
        return None

    def pay(self, member: int, amount: int) -> type[WalletError] | None:
        if self.frozen[member]:
            return AccountFrozen
        # Every payment row of the example was made within the last minute.
        if sum(p.member == member for p in self.payments) >= PROGRAMME["velocity_per_minute"]:
            return LimitExceeded
        if self.spent_today(member) + amount > PROGRAMME["daily_limit_cap"]:
            return LimitExceeded
        if self.balance[member] < amount:
            return InsufficientFunds
        if amount > PROGRAMME["no_confirmation_limit"]:
            self.payments.append(ModelPayment(member, amount, PENDING))
        else:
            self.payments.append(ModelPayment(member, amount, SUCCEEDED))
            self.balance[member] -= amount
        return None

    def confirm(self, index: int, approve: bool) -> type[WalletError] | None:
        payment = self.payments[index]
        if payment.status != PENDING:
            return PaymentNotPending
        if not approve:
            payment.status = DECLINED
            return None
        if self.frozen[payment.member]:
            return AccountFrozen
        if self.balance[payment.member] < payment.amount:
            return InsufficientFunds
        if self.spent_today(payment.member) > PROGRAMME["daily_limit_cap"]:
            return LimitExceeded
        payment.status = SUCCEEDED
        self.balance[payment.member] -= payment.amount
        return None

    def refund(self, index: int, amount: int | None) -> type[WalletError] | None:
        payment = self.payments[index]
        if payment.status != SUCCEEDED:
            return PaymentNotRefundable
        left = payment.amount - payment.refunded
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            return RefundExceedsPayment
        # The threshold counts all of the payment's refunds together (a refund
        # split into small parts still needs approval).
        if payment.refunded + amount > PROGRAMME["refund_approval_threshold"]:
            return RefundRequiresApproval
        payment.refunded += amount
        self.balance[payment.member] += amount
        return None

    def freeze(self, member: int, _arg: None) -> None:
        self.frozen[member] = True

    def unfreeze(self, member: int, _arg: None) -> None:
        self.frozen[member] = False  # a freeze the member made, so the member may lift it


member_index = st.integers(0, MEMBERS - 1)
any_index = st.integers(0, 50)  # taken modulo the payments made so far
# Amounts at each rule's edge, round amounts, and any amount.
top_up_amount = (
    st.sampled_from([9_999, 10_000, 199_999, 200_000, 300_000, 300_001])
    | st.integers(1, 40).map(lambda n: n * 10_000)
    | st.integers(1, 400_000)
)
pay_amount = st.sampled_from([50_000, 50_001]) | st.integers(1, 16).map(lambda n: n * 5_000) | st.integers(1, 80_000)
ARGUMENTS = {
    "top_up": st.tuples(member_index, top_up_amount),
    "pay": st.tuples(member_index, pay_amount),
    "confirm": st.tuples(any_index, st.booleans()),
    "refund": st.tuples(any_index, st.none() | st.integers(1, 80_000)),
    "freeze": st.tuples(member_index, st.none()),
    "unfreeze": st.tuples(member_index, st.none()),
}
# Money moves more often than wallets are frozen, so that examples get somewhere.
OPERATIONS = ["top_up"] * 4 + ["pay"] * 4 + ["confirm"] * 2 + ["refund"] * 2 + ["freeze"] + ["unfreeze"] * 2
operation = st.sampled_from(OPERATIONS).flatmap(lambda op: ARGUMENTS[op].map(lambda args: (op, *args)))


class LedgerPropertyTests(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=8, max_size=25))
    def test_random_operations_do_what_the_model_predicts(self, operations: list[tuple[str, int, Any]]) -> None:
        # Each example runs in a transaction that is rolled back afterwards.
        forget_cached_accounts()
        ProgrammeSettings.forget_cached()
        ProgrammeSettings.objects.update_or_create(pk=1, defaults=PROGRAMME)
        ProgrammeSettings.forget_cached()
        TopUpBonusRule.objects.create(name="bonus", min_amount=BONUS_FROM, bonus=BONUS)
        store = Store.objects.create(name="Prop", slug="prop")
        members = [MemberFactory.create(display_name=f"P{i}") for i in range(MEMBERS)]
        model = WalletModel()
        payment_ids: list[int] = []  # the real payment behind each of model.payments

        for step, (op, index, arg) in enumerate(operations):
            if op in ("confirm", "refund"):
                if not model.payments:
                    continue
                index %= len(model.payments)  # which of the payments made so far
            expected = getattr(model, op)(index, arg)
            try:
                payment = self.perform(
                    op, index, arg, store=store, members=members, payment_ids=payment_ids, model=model
                )
            except WalletError as error:
                refused: type[WalletError] | None = type(error)
            else:
                refused = None
                if payment is not None:
                    payment_ids.append(payment.pk)

            context = f"step {step}: {op} {index} {arg}"
            assert refused == expected, f"{context}: the model predicts {expected}, the services gave {refused}"
            self.assert_state_matches(model, members, payment_ids, context)
            assert ledger_problems() == [], context
        assert points_problems() == []

    def perform(
        self,
        op: str,
        index: int,
        arg: Any,
        *,
        store: Store,
        members: list[Member],
        payment_ids: list[int],
        model: WalletModel,
    ) -> Payment | None:
        """Do the operation with the services; returns the payment a "pay" made."""
        if op == "top_up":
            wallet_top_up(member=members[index], amount=arg, tender="cash", store=store)
        elif op == "pay":
            return pay_from_wallet(member=members[index], amount=arg, store=store)
        elif op == "confirm":
            owner = members[model.payments[index].member]
            confirm_payment(payment_id=payment_ids[index], member=owner, approve=arg)
        elif op == "refund":
            refund_payment(payment_id=payment_ids[index], amount=arg)
        elif op == "freeze":
            wallet_freeze(member=members[index], reason="test", by_staff=False)
        else:
            wallet_unfreeze(member=members[index], by_staff=False, reauthenticated=True)
        return None

    def assert_state_matches(
        self, model: WalletModel, members: list[Member], payment_ids: list[int], context: str
    ) -> None:
        wallets = {a.member_id: a for a in Account.objects.filter(member__in=members)}
        for i, member in enumerate(members):
            wallet = wallets.get(member.pk)
            assert (wallet.balance if wallet else 0) == model.balance[i], f"{context}: wallet {i}"
            assert (wallet.is_frozen if wallet else False) == model.frozen[i], f"{context}: wallet {i} frozen"
        real = {
            pk: (status, refunded)
            for pk, status, refunded in Payment.objects.filter(pk__in=payment_ids).values_list(
                "pk", "status", "refunded_amount"
            )
        }
        for payment_id, expected in zip(payment_ids, model.payments, strict=True):
            assert real[payment_id] == (expected.status, expected.refunded), f"{context}: payment {payment_id}"
