"""Property: any sequence of top-ups, payments, refunds and freezes keeps every
ledger invariant, and each wallet equals what a simple model of it predicts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from members.services import member_create
from payments.exceptions import WalletError
from payments.models import Account, Payment, ProgrammeSettings, Store
from payments.selectors.ledger import ledger_problems
from payments.services.codes import payment_code_issue
from payments.services.ledger import forget_cached_accounts
from payments.services.risk import wallet_freeze, wallet_unfreeze
from payments.services.top_ups import wallet_top_up
from tests.sales import pay, refund_payment

MEMBERS = 3

operation = st.one_of(
    st.tuples(st.just("top_up"), st.integers(0, MEMBERS - 1), st.integers(1, 300_000)),
    st.tuples(st.just("pay"), st.integers(0, MEMBERS - 1), st.integers(1, 80_000)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 80_000)),
    st.tuples(st.just("freeze"), st.integers(0, MEMBERS - 1), st.just(0)),
    st.tuples(st.just("unfreeze"), st.integers(0, MEMBERS - 1), st.just(0)),
)


class LedgerPropertyTests(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=25))
    def test_random_operations_keep_the_ledger_invariants(self, operations: list[tuple[str, int, int]]) -> None:
        # Each example runs in a transaction that is rolled back afterwards.
        forget_cached_accounts()
        ProgrammeSettings.forget_cached()
        ProgrammeSettings.objects.update_or_create(pk=1, defaults={"velocity_per_minute": 1_000})
        store = Store.objects.create(name="Prop", slug="prop")
        members = [member_create(user=None, display_name=f"P{i}", email=f"p{i}@example.com") for i in range(MEMBERS)]
        expected = [0] * MEMBERS
        frozen = [False] * MEMBERS
        for op, index, amount in operations:
            try:
                if op == "top_up":
                    top_up = wallet_top_up(member=members[index], amount=amount, tender="cash", store=store).top_up
                    expected[index] += top_up.amount + top_up.bonus
                elif op == "pay":
                    code = payment_code_issue(member=members[index]).code
                    result = pay(code=code, amount=amount, store=store)
                    if result.payment.status == Payment.Status.SUCCEEDED:
                        expected[index] -= amount
                elif op == "refund":
                    payments = list(Payment.objects.filter(status="succeeded").order_by("pk"))
                    if not payments:
                        continue
                    payment = payments[index % len(payments)]
                    refund = refund_payment(payment_id=payment.pk, amount=amount).refund
                    expected[members.index(payment.member)] += refund.amount
                elif op == "freeze":
                    wallet_freeze(member=members[index], reason="test", by_staff=False)
                    frozen[index] = True
                else:
                    wallet_unfreeze(member=members[index], by_staff=False, reauthenticated=True)
                    frozen[index] = False
            except WalletError:
                pass  # a refusal must leave everything as it was; checked below
            assert ledger_problems() == []
        for index, member in enumerate(members):
            wallet = Account.objects.filter(member=member).first()
            assert (wallet.balance if wallet else 0) == expected[index]
            assert (wallet.is_frozen if wallet else False) == frozen[index]
