"""The payment API's hot path checks its request and builds its answers
through its serializers with their fields bound once per thread
(cafe_loyalty.core.serializing): these tests hold that equal to fresh
serializer instances, for real payments (paid, held for the member, replayed
after a crash), in every state, and for any request body, refusals included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

import payments.api.payments as api_payments
import payments.idempotency
from cafe_loyalty.core.serializing import represent, validated
from members.models import Member
from payments.api.common import MAX_AMOUNT
from payments.api.payments import PaymentCreatedOutput, PaymentInput, PaymentOutput, PaymentPendingOutput
from payments.models import Payment
from tests.wallet.test_api_contract import pay

# --- Answers ------------------------------------------------------------------------

Seen = list[tuple[dict[str, Any], Any]]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seen]:
    """Every body the view builds, paired with a fresh serializer's data for
    the same Payment object at the same moment."""
    seen: Seen = []

    def spy(serializer_class: Any, instance: Any, *, context: dict[str, Any] | None = None) -> dict[str, Any]:
        body = represent(serializer_class, instance, context=context)
        seen.append((body, serializer_class(instance, context=context or {}).data))
        return body

    monkeypatch.setattr(api_payments, "represent", spy)
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
        body = represent(PaymentCreatedOutput, payment, context={"wallet_balance": 123})
        assert_same(body, PaymentCreatedOutput(payment, context={"wallet_balance": 123}).data)
        assert_same(represent(PaymentPendingOutput, payment), PaymentPendingOutput(payment).data)
        assert_same(represent(PaymentOutput, payment), PaymentOutput(payment).data)
    bodies = [
        represent(PaymentCreatedOutput, p, context={"wallet_balance": 0})
        for p in Payment.objects.select_related("member")
    ]
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


def bound_outcome(data: Any) -> tuple[str, int, str] | dict[str, Any]:
    """The same through `validated`: its values, or the errors it raises."""
    try:
        valid = validated(PaymentInput, data)
    except ValidationError as refused:
        assert isinstance(refused.detail, dict)
        return dict(refused.detail)
    return valid["payment_code"], valid["amount"], valid.get("reference", "")


USUAL = {"payment_code": "912345678901234567", "amount": 12_000, "reference": "till-7"}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"reference": ""},
        {"reference": "x" * 100},
        {"reference": "咖啡 order 7"},
        {"amount": 1},
        {"amount": MAX_AMOUNT},
        {"payment_code": "0"},
        {"payment_code": "9" * 40},
        {"extra": "ignored by both"},
        {"amount": "12000"},  # a string: StrictIntegerField refuses it
        {"amount": 12_000.0},  # a float, even a whole one: refused
        {"amount": True},  # a JSON boolean is not an integer
        {"amount": 0},
        {"amount": MAX_AMOUNT + 1},
        {"amount": None},
        {"payment_code": 912345678901234567},  # a number: the serializer takes it as text
        {"payment_code": " 912345678901234567 "},  # trimmed by the serializer
        {"payment_code": "912345678901234567\n"},
        {"payment_code": "１２３"},  # full-width digits: str.isdigit() would take them
        {"payment_code": "9" * 41},
        {"payment_code": ""},
        {"reference": " till-7 "},  # trimmed by the serializer
        {"reference": "   "},  # blank once trimmed
        {"reference": "x" * 101},
        {"reference": "a\x00b"},
        {"reference": "a\ud800b"},
        {"reference": None},
        {"reference": 7},  # a number: the serializer takes it as text
    ],
)
def test_bodies_near_the_usual_get_the_serializers_verdict(change: dict[str, Any]) -> None:
    data = {**USUAL, **change}
    assert bound_outcome(data) == serializer_outcome(data)


def test_a_body_that_is_not_an_object_gets_the_serializers_refusal() -> None:
    for data in ([USUAL], "912345678901234567", None, 12):
        refused = serializer_outcome(data)
        assert isinstance(refused, dict)
        assert bound_outcome(data) == refused


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
    assert bound_outcome(body) == serializer_outcome(body)


def test_a_body_built_while_another_is_gets_a_fresh_serializer(
    api: APIClient, make_member: Callable[..., Member], code_for: Callable[[Member], str]
) -> None:
    """The bound instance is in use while it represents; a body asked for
    from inside (a method field building another) must not share it."""
    member = make_member(balance=500_000)
    assert pay(api, code_for(member), 5_000).status_code == 201
    payment = Payment.objects.select_related("member", "tender__order").get()
    inner: list[dict[str, Any]] = []
    depth = [0]

    class Nesting(PaymentCreatedOutput):
        def get_decline_code(self, payment: Payment) -> str | None:
            depth[0] += 1
            if depth[0] == 1:  # once, from the outer body, with a context of its own
                inner.append(represent(Nesting, payment, context={"wallet_balance": 1}))
            return super().get_decline_code(payment)

    outer = represent(Nesting, payment, context={"wallet_balance": 123})  # read after decline_code
    expected = dict(PaymentCreatedOutput(payment, context={"wallet_balance": 123}).data)
    assert outer == expected
    assert inner[0] == {**expected, "wallet_balance": 1}
