"""The payment API's hot path checks its request and builds its answers
without DRF serializer instances (payments.api.payments): these tests hold it
equal to the serializers the schema is generated from, for real payments
(paid, held for the member, replayed after a crash) and for any request body,
so that a field added to a serializer, or a rule changed in one, shows here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

import payments.api.payments as api_payments
import payments.idempotency
from members.models import Member
from payments.api.common import MAX_AMOUNT
from payments.api.payments import (
    PaymentCreatedOutput,
    PaymentInput,
    PaymentPendingOutput,
    payment_created_body,
    payment_input,
    payment_input_usual,
    payment_pending_body,
)
from payments.models import Payment
from tests.wallet.test_api_contract import pay

# --- Answers ------------------------------------------------------------------------

Seen = list[tuple[dict[str, Any], Any]]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seen]:
    """Every body the view builds, paired with the serializer's data for the
    same Payment object at the same moment."""
    seen: Seen = []
    created, pending = payment_created_body, payment_pending_body

    def created_spy(payment: Payment, *, wallet_balance: int) -> dict[str, Any]:
        body = created(payment, wallet_balance=wallet_balance)
        seen.append((body, PaymentCreatedOutput(payment, context={"wallet_balance": wallet_balance}).data))
        return body

    def pending_spy(payment: Payment) -> dict[str, Any]:
        body = pending(payment)
        seen.append((body, PaymentPendingOutput(payment).data))
        return body

    monkeypatch.setattr(api_payments, "payment_created_body", created_spy)
    monkeypatch.setattr(api_payments, "payment_pending_body", pending_spy)
    yield seen


def assert_same(body: dict[str, Any], expected: Any) -> None:
    # The same keys in the same order with the same values, and the same bytes once rendered.
    assert list(body) == list(expected)
    assert body == dict(expected)
    assert JSONRenderer().render(body) == JSONRenderer().render(expected)


def test_paid_and_held_answers_equal_the_serializers(
    api: APIClient, make_member: Callable[..., Member], code_for: Callable[[Member], str], answers: Seen
) -> None:
    member = make_member(balance=500_000)
    responses = [
        pay(api, code_for(member), 12_000, reference="till-7"),
        pay(api, code_for(member), 1),  # no reference
        pay(api, code_for(member), 3_000, reference=""),
        pay(api, code_for(member), 60_000),  # above the no-confirmation limit: held, 202
    ]
    assert [response.status_code for response in responses] == [201, 201, 201, 202]
    assert len(answers) == 4
    for response, (body, expected) in zip(responses, answers, strict=True):
        assert_same(body, expected)
        assert response.content == JSONRenderer().render(expected)
    paid, held = answers[0][0], answers[3][0]
    assert paid["points_earned"] > 0 and paid["wallet_balance"] == 488_000 and paid["decline_code"] is None
    assert paid["created_at"].endswith("Z") and paid["confirm_by"] is None
    assert held["status"] == "requires_confirmation" and held["confirm_by"].endswith("Z")


@pytest.mark.parametrize("needs_confirmation", [False, True])
def test_replayed_answers_equal_the_serializers(
    api: APIClient,
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
    monkeypatch: pytest.MonkeyPatch,
    answers: Seen,
    needs_confirmation: bool,
) -> None:
    """The first request commits and dies before storing its answer; the
    retry's answer is rebuilt from the payment (payment_replay)."""
    member = make_member(balance=500_000)
    code, amount = code_for(member), 300_000 if needs_confirmation else 12_000

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr(payments.idempotency, "_store", killed)
        with pytest.raises(SystemExit):
            pay(api, code, amount, key="k-died", reference="r")
    answers.clear()
    retry = pay(api, code, amount, key="k-died", reference="r")
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.status_code == (202 if needs_confirmation else 201)
    [(body, expected)] = answers
    assert_same(body, expected)
    assert retry.json() == body


def test_created_body_equals_the_serializer_for_payments_in_every_state(
    api: APIClient, make_member: Callable[..., Member], code_for: Callable[[Member], str]
) -> None:
    """Read back from the database, in states the hot path does not produce
    itself (refunded in part, declined, expired, a whole-second timestamp)."""
    member = make_member(balance=500_000)
    for amount in (5_000, 6_000, 7_000, 300_000):
        assert pay(api, code_for(member), amount).status_code in (201, 202)
    first, second, third, held = Payment.objects.order_by("pk")
    Payment.objects.filter(pk=first.pk).update(refunded_amount=2_000)
    Payment.objects.filter(pk=second.pk).update(
        status=Payment.Status.DECLINED, decline_code="insufficient_funds", reference="ünïcode 咖啡"
    )
    Payment.objects.filter(pk=third.pk).update(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    Payment.objects.filter(pk=held.pk).update(status=Payment.Status.EXPIRED, decline_code="expired")
    for payment in Payment.objects.select_related("member", "tender__order").order_by("pk"):
        body = payment_created_body(payment, wallet_balance=123)
        assert_same(body, PaymentCreatedOutput(payment, context={"wallet_balance": 123}).data)
        assert_same(payment_pending_body(payment), PaymentPendingOutput(payment).data)
    bodies = [payment_created_body(p, wallet_balance=0) for p in Payment.objects.select_related("member")]
    assert {body["created_at"] for body in bodies} >= {"2026-01-02T03:04:05Z"}
    assert {body["decline_code"] for body in bodies} == {None, "insufficient_funds", "expired"}


# --- Request bodies -----------------------------------------------------------------


def serializer_outcome(data: Any) -> tuple[str, int, str] | dict[str, Any]:
    """PaymentInput's verdict: the values it validated, or its errors."""
    serializer = PaymentInput(data=data)
    if not serializer.is_valid():
        return dict(serializer.errors)
    valid = serializer.validated_data
    return valid["payment_code"], valid["amount"], valid.get("reference", "")


USUAL = {"payment_code": "912345678901234567", "amount": 12_000, "reference": "till-7"}


@pytest.mark.parametrize(
    ("change", "usual"),
    [
        ({}, True),
        ({"reference": ""}, True),
        ({"reference": "x" * 100}, True),
        ({"reference": "咖啡 order 7"}, True),
        ({"amount": 1}, True),
        ({"amount": MAX_AMOUNT}, True),
        ({"payment_code": "0"}, True),
        ({"payment_code": "9" * 40}, True),
        ({"extra": "ignored by both"}, True),
        ({"amount": "12000"}, False),  # a string: StrictIntegerField refuses it
        ({"amount": 12_000.0}, False),  # a float, even a whole one: refused
        ({"amount": True}, False),  # a JSON boolean is not an integer
        ({"amount": 0}, False),
        ({"amount": MAX_AMOUNT + 1}, False),
        ({"amount": None}, False),
        ({"payment_code": 912345678901234567}, False),  # a number: the serializer takes it as text
        ({"payment_code": " 912345678901234567 "}, False),  # trimmed by the serializer
        ({"payment_code": "912345678901234567\n"}, False),
        ({"payment_code": "１２３"}, False),  # full-width digits: str.isdigit() would take them
        ({"payment_code": "9" * 41}, False),
        ({"payment_code": ""}, False),
        ({"reference": " till-7 "}, False),  # trimmed by the serializer
        ({"reference": "   "}, False),  # blank once trimmed
        ({"reference": "x" * 101}, False),
        ({"reference": "a\x00b"}, False),
        ({"reference": "a\ud800b"}, False),
        ({"reference": None}, False),
        ({"reference": 7}, False),  # a number: the serializer takes it as text
    ],
)
def test_the_usual_body_is_checked_quickly_and_agrees_with_the_serializer(change: dict[str, Any], usual: bool) -> None:
    data = {**USUAL, **change}
    quick = payment_input_usual(data)
    assert (quick is not None) == usual
    outcome = serializer_outcome(data)
    if quick is not None:
        assert quick == outcome
    if isinstance(outcome, tuple):
        assert payment_input(data) == outcome


def test_a_body_that_is_not_an_object_goes_to_the_serializer() -> None:
    for data in ([USUAL], "912345678901234567", None, 12):
        assert payment_input_usual(data) is None
        assert isinstance(serializer_outcome(data), dict)


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=MAX_AMOUNT - 3, max_value=MAX_AMOUNT + 3),
    st.integers(),
    st.floats(allow_nan=False),
    st.from_regex(r"\A\s?[0-9]{0,42}\s?\Z"),
    st.text(max_size=110),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
ODD_TEXT = st.text(alphabet=st.sampled_from(" \t\n\x00\ud800\u3000x咖9"), max_size=8)
USUAL_CODE = st.from_regex(r"\A[0-9]{1,40}\Z")
USUAL_AMOUNT = st.integers(min_value=1, max_value=MAX_AMOUNT)


def mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # Two in three from `usual` (st.one_of would weigh each of ANY_VALUE's branches like it).
    return st.sampled_from([usual, usual, other]).flatmap(lambda strategy: strategy)


# Bodies one field away from the usual are common (where a quick check could
# go wrong), and any other body too.
BODIES = st.one_of(
    st.fixed_dictionaries(
        {"payment_code": mostly(USUAL_CODE, ANY_VALUE), "amount": mostly(USUAL_AMOUNT, ANY_VALUE)},
        optional={
            "reference": st.sampled_from([ODD_TEXT, st.text(max_size=101), ANY_VALUE]).flatmap(lambda s: s),
            "other": ANY_VALUE,
        },
    ),
    st.dictionaries(st.sampled_from(["payment_code", "amount", "reference"]), ANY_VALUE),
)


@settings(max_examples=600, deadline=None)
@given(body=BODIES)
def test_any_body_gets_the_serializers_verdict(body: dict[str, Any]) -> None:
    quick = payment_input_usual(body)
    outcome = serializer_outcome(body)
    if quick is not None:
        assert quick == outcome  # accepted quickly: exactly what the serializer validates
    if isinstance(outcome, tuple):
        assert payment_input(body) == outcome


PLAIN_TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=100)


@settings(max_examples=200, deadline=None)
@given(
    code=USUAL_CODE,
    amount=USUAL_AMOUNT,
    reference=st.one_of(st.none(), PLAIN_TEXT.filter(lambda text: text == text.strip())),
)
def test_every_usual_body_takes_the_quick_path(code: str, amount: int, reference: str | None) -> None:
    body: dict[str, Any] = {"payment_code": code, "amount": amount}
    if reference is not None:
        body["reference"] = reference
    assert payment_input_usual(body) == serializer_outcome(body) == (code, amount, reference or "")
