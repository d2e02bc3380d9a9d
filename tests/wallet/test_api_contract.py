"""Every row of DESIGN.md's error-code table over HTTP, and the happy paths."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Member
from payments.models import Account, Payment, PaymentCode, ProgrammeSettings, RiskAlert, Transfer
from tests.conftest import MemberFactory
from tests.helpers import pay_from_wallet, points_for
from tests.wallet.conftest import idem

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_KEYS <= set(body)
    assert body["code"] == code
    assert body["status"] == status


def pay(api: APIClient, code: str, amount: int, key: str | None = None, **extra: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key or uuid.uuid4().hex}
    return api.post("/api/v1/payments", {"payment_code": code, "amount": amount, **extra}, format="json", **headers)


def test_payment_with_a_fresh_code_succeeds_and_moves_money(
    api: APIClient, make_member: Callable[..., Member], code_for: Callable[[Member], str]
) -> None:
    member = make_member(balance=100_000)
    response = pay(api, code_for(member), 12_000, reference="order-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["amount"] == 12_000
    assert body["member"] == member.card_number
    assert body["points_earned"] == points_for(12_000)
    assert body["wallet_balance"] == 88_000
    assert Account.objects.get(member=member).balance == 88_000


def test_money_post_without_idempotency_key_is_refused(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    response = api.post("/api/v1/payments", {"payment_code": code_for(member), "amount": 100}, format="json")
    assert_problem(response, 400, "idempotency_key_missing")
    topup = api.post(
        "/api/v1/topups", {"member": member.card_number, "amount": 10_000, "tender": "cash"}, format="json"
    )
    assert_problem(topup, 400, "idempotency_key_missing")
    assert not Payment.objects.exists()


def test_same_key_and_body_replays_the_first_answer(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=50_000)
    code = code_for(member)
    first = pay(api, code, 5_000, key="k-1")
    second = pay(api, code, 5_000, key="k-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert Transfer.objects.filter(kind="payment").count() == 1


def test_same_key_with_another_body_is_422(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=50_000)
    code = code_for(member)
    pay(api, code, 5_000, key="k-2")
    assert_problem(pay(api, code, 6_000, key="k-2"), 422, "idempotency_key_reused")


def claim_in_flight(till: Any, key: str, body: dict[str, Any], *, age: timedelta = timedelta(0)) -> None:
    """A claim as a first request leaves it while running (or after its
    process was killed): claimed, no answer stored."""
    from types import SimpleNamespace

    from payments.idempotency import request_fingerprint
    from payments.models import IdempotencyRecord

    fingerprint = request_fingerprint(SimpleNamespace(method="POST", data=body), "/api/v1/payments")  # type: ignore[arg-type]
    IdempotencyRecord.objects.create(
        scope=f"terminal:{till[0].pk}", key=key, request_hash=fingerprint, created_at=timezone.now() - age
    )


def test_same_key_while_first_is_running_is_409(api: APIClient, make_member: Any, code_for: Any, till: Any) -> None:
    member = make_member(balance=50_000)
    code = code_for(member)
    claim_in_flight(till, "k-3", {"payment_code": code, "amount": 5_000})
    assert_problem(pay(api, code, 5_000, key="k-3"), 409, "idempotency_key_in_use")
    assert not Payment.objects.exists()


def test_a_claim_left_by_a_killed_request_that_moved_nothing_is_released(
    api: APIClient, make_member: Any, code_for: Any, till: Any
) -> None:
    member = make_member(balance=50_000)
    code = code_for(member)
    claim_in_flight(till, "k-killed", {"payment_code": code, "amount": 5_000}, age=timedelta(minutes=2))
    response = pay(api, code, 5_000, key="k-killed")
    assert response.status_code == 201, response.content
    assert Payment.objects.count() == 1
    assert pay(api, code, 5_000, key="k-killed")["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("needs_confirmation", [False, True])
def test_a_retry_after_the_process_died_past_the_commit_gets_the_first_answer(
    api: APIClient, make_member: Any, code_for: Any, monkeypatch: pytest.MonkeyPatch, needs_confirmation: bool
) -> None:
    """The first request commits the payment, then its process dies before the
    answer is stored. A retry rebuilds the answer from the payment: the same
    status and body the first request would have sent, and no second charge."""
    import payments.idempotency

    member = make_member(balance=500_000)
    amount = 300_000 if needs_confirmation else 12_000  # the default no-confirmation limit is NT$500
    code = code_for(member)
    reference = {"reference": "till-7"}

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr(payments.idempotency, "_store", killed)
        with pytest.raises(SystemExit):
            pay(api, code, amount, key="k-died", **reference)
    payment = Payment.objects.get()
    # Meanwhile the payment changed: the answer must still be the one of then.
    if not needs_confirmation:
        pay(api, code_for(member), 1_000, key="k-later")
    retry = pay(api, code, amount, key="k-died", **reference)
    assert retry["Idempotent-Replayed"] == "true"
    body = retry.json()
    assert body["id"] == payment.pk and body["amount"] == amount and body["member"] == member.card_number
    if needs_confirmation:
        assert retry.status_code == 202 and body["status"] == "requires_confirmation"
    else:
        assert retry.status_code == 201 and body["status"] == "succeeded"
        assert (
            body["wallet_balance"] == 500_000 - amount and body["points_earned"] == payment.tender.order.points_earned
        )
    assert Payment.objects.filter(idempotency_record__key="k-died").count() == 1
    again = pay(api, code, amount, key="k-died", **reference)
    assert again.status_code == retry.status_code and again.json() == body


def test_top_up_and_refund_answers_are_rebuilt_after_a_crash(
    api: APIClient, make_member: Any, code_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import payments.idempotency

    member = make_member(balance=20_000)
    paid = pay(api, code_for(member), 8_000).json()

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("worker killed")

    top_up_body = {"member": member.card_number, "amount": 30_000, "tender": "cash"}
    refunds_url = f"/api/v1/payments/{paid['id']}/refunds"
    with monkeypatch.context() as patched:
        patched.setattr(payments.idempotency, "_store", killed)
        with pytest.raises(SystemExit):
            api.post("/api/v1/topups", top_up_body, format="json", HTTP_IDEMPOTENCY_KEY="t-died")
        with pytest.raises(SystemExit):
            api.post(
                f"/api/v1/payments/{paid['id']}/refunds",
                {"amount": 3_000},
                format="json",
                HTTP_IDEMPOTENCY_KEY="r-died",
            )
    top_up = api.post("/api/v1/topups", top_up_body, format="json", HTTP_IDEMPOTENCY_KEY="t-died")
    assert top_up.status_code == 201 and top_up["Idempotent-Replayed"] == "true"
    assert top_up.json()["wallet_balance"] == 20_000 - 8_000 + 30_000
    refund = api.post(refunds_url, {"amount": 3_000}, format="json", HTTP_IDEMPOTENCY_KEY="r-died")
    assert refund.status_code == 201 and refund["Idempotent-Replayed"] == "true"
    assert refund.json()["payment"] == paid["id"] and refund.json()["wallet_balance"] == 20_000 - 8_000 + 30_000 + 3_000


def test_unknown_code_is_404(api: APIClient, make_member: Any) -> None:
    make_member(balance=10_000)
    assert_problem(pay(api, "912345678901234567", 100), 404, "payment_code_invalid")


def test_expired_code_is_410(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    code = code_for(member)
    PaymentCode.objects.filter(member=member).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(pay(api, code, 100), 410, "payment_code_expired")


def test_used_code_is_409(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    code = code_for(member)
    assert pay(api, code, 100).status_code == 201
    assert_problem(pay(api, code, 100), 409, "payment_code_used")


def test_insufficient_funds_is_402(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    assert_problem(pay(api, code_for(member), 10_001), 402, "insufficient_funds")
    assert Account.objects.get(member=member).balance == 10_000


def test_daily_limit_is_422(api: APIClient, make_member: Any, code_for: Any, programme: ProgrammeSettings) -> None:
    member = make_member(balance=100_000)
    wallet = Account.objects.get(member=member)
    wallet.daily_limit = 20_000
    wallet.save()
    assert pay(api, code_for(member), 15_000).status_code == 201
    assert_problem(pay(api, code_for(member), 6_000), 422, "limit_exceeded")
    assert RiskAlert.objects.filter(member=member, kind="daily_limit").exists()


def test_velocity_rule_is_422(api: APIClient, make_member: Any, code_for: Any, programme: ProgrammeSettings) -> None:
    programme.velocity_per_minute = 2
    programme.save()
    member = make_member(balance=100_000)
    assert pay(api, code_for(member), 100).status_code == 201
    assert pay(api, code_for(member), 100).status_code == 201
    assert_problem(pay(api, code_for(member), 100), 422, "limit_exceeded")
    assert RiskAlert.objects.filter(member=member, kind="velocity").exists()


def test_frozen_wallet_is_423(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=10_000)
    code = code_for(member)
    # A freeze retires the codes it sees and a frozen wallet gets no new one;
    # a code issued while the freeze was committing is still live, and the
    # payment is refused at the wallet.
    Account.objects.filter(member=member).update(frozen_at=timezone.now(), frozen_reason="lost phone")
    assert_problem(pay(api, code, 100), 423, "account_frozen")
    assert RiskAlert.objects.filter(member=member, kind="frozen_attempt").exists()


def test_refund_above_what_is_left_is_422(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=20_000)
    payment_id = pay(api, code_for(member), 10_000).json()["id"]
    first = api.post(f"/api/v1/payments/{payment_id}/refunds", {"amount": 4_000}, format="json", **idem())
    assert first.status_code == 201, first.content
    assert first.json() == {"id": first.json()["id"], "amount": 4_000, "payment": payment_id, "wallet_balance": 14_000}
    too_much = api.post(f"/api/v1/payments/{payment_id}/refunds", {"amount": 6_001}, format="json", **idem())
    assert_problem(too_much, 422, "refund_exceeds_payment")
    rest = api.post(f"/api/v1/payments/{payment_id}/refunds", {}, format="json", **idem())
    assert rest.status_code == 201
    assert rest.json()["amount"] == 6_000
    detail = api.get(f"/api/v1/payments/{payment_id}").json()
    assert detail["refunded_amount"] == 10_000


def test_missing_or_bad_credentials_are_401_and_members_cannot_use_terminal_endpoints(
    client: Any, make_member: Any, django_user_model: Any
) -> None:
    anonymous = APIClient()
    assert_problem(anonymous.post("/api/v1/payments", {}, format="json"), 401, "not_authenticated")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert_problem(bad.get("/api/v1/payments/1"), 401, "not_authenticated")
    user = django_user_model.objects.create_user(username="m", email="m@example.com", password="pw-long-enough-1")
    member_api = APIClient()
    member_api.force_authenticate(user=user)
    assert_problem(member_api.post("/api/v1/payments", {}, format="json", **idem()), 403, "permission_denied")


def test_large_payment_waits_for_member_confirmation(
    api: APIClient, make_member: Any, code_for: Any, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user(username="big", email="big@example.com", password="x-long-pass-123")
    member = MemberFactory.create(user=user, display_name="Big Spender", email="big@example.com")
    from payments.services.top_ups import wallet_top_up

    wallet_top_up(member=member, amount=500_000, tender="card", gateway_reference="AUTH-1")
    response = pay(api, code_for(member), 60_000)  # above the default no-confirmation limit, NT$500
    assert response.status_code == 202
    assert response.json()["status"] == "requires_confirmation"
    payment_id = response.json()["id"]
    assert Account.objects.get(member=member).balance == 500_000
    member_api = APIClient()
    member_api.force_authenticate(user=user)
    confirmed = member_api.post(f"/api/v1/me/payments/{payment_id}/confirm", {}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "succeeded"
    assert Account.objects.get(member=member).balance == 440_000
    again = member_api.post(f"/api/v1/me/payments/{payment_id}/confirm", {}, format="json")
    assert again.status_code == 200
    assert Transfer.objects.filter(kind="payment").count() == 1
    assert api.get(f"/api/v1/payments/{payment_id}").json()["status"] == "succeeded"


def test_unconfirmed_payment_expires(api: APIClient, make_member: Any, code_for: Any) -> None:
    member = make_member(balance=500_000)
    payment_id = pay(api, code_for(member), 60_000).json()["id"]
    Payment.objects.filter(pk=payment_id).update(confirm_by=timezone.now() - timedelta(seconds=1))
    assert api.get(f"/api/v1/payments/{payment_id}").json()["status"] == "expired"


def test_enrol_and_look_up_member_with_masked_email(api: APIClient) -> None:
    created = api.post("/api/v1/members", {"email": "Newbie@Example.com", "name": "New Bie"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) >= {"id", "card_number", "email", "name", "tier", "points_balance", "wallet_balance"}
    assert body["wallet_balance"] == 0
    duplicate = api.post("/api/v1/members", {"email": "newbie@example.com", "name": "Again"}, format="json")
    assert_problem(duplicate, 409, "member_exists")
    looked_up = api.get(f"/api/v1/members/{body['card_number']}").json()
    assert looked_up["email"] != "newbie@example.com"
    assert looked_up["email"].endswith("@example.com") and "*" in looked_up["email"]


def test_top_up_with_bonus_rule(api: APIClient, make_member: Any) -> None:
    from payments.models import TopUpBonusRule

    TopUpBonusRule.objects.create(name="1000 get 100", min_amount=100_000, bonus=10_000)
    member = make_member()
    response = api.post(
        "/api/v1/topups", {"member": member.card_number, "amount": 100_000, "tender": "cash"}, format="json", **idem()
    )
    assert response.status_code == 201, response.content
    assert response.json()["bonus"] == 10_000
    assert response.json()["wallet_balance"] == 110_000
    kinds = sorted(Transfer.objects.values_list("kind", flat=True))
    assert kinds == ["top_up", "top_up_bonus"]


def test_top_up_above_wallet_cap_is_refused(api: APIClient, make_member: Any, programme: ProgrammeSettings) -> None:
    programme.wallet_cap = 150_000
    programme.save()
    member = make_member(balance=100_000)
    response = api.post(
        "/api/v1/topups",
        {"member": member.card_number, "amount": 60_000, "tender": "card", "card_reference": "AUTH-2"},
        format="json",
        **idem(),
    )
    assert_problem(response, 422, "wallet_cap_exceeded")


def test_member_api_issues_codes_and_lists_history(make_member: Any, django_user_model: Any, api: APIClient) -> None:
    user = django_user_model.objects.create_user(username="h", email="h@example.com", password="x-long-pass-123")
    member = MemberFactory.create(user=user, display_name="Hist", email="h@example.com", balance=30_000)
    member_api = APIClient()
    member_api.force_authenticate(user=user)
    issued = member_api.post("/api/v1/me/payment-code")
    assert issued.status_code == 201
    code = issued.json()["code"]
    assert len(code) == 18 and code.isdigit()
    assert not PaymentCode.objects.filter(code_hash=code).exists()  # only a keyed hash is stored
    assert pay(api, code, 4_500).status_code == 201
    history = member_api.get("/api/v1/me/transactions").json()
    amounts = [item["amount"] for item in history["results"] if item["kind"] == "wallet"]
    assert amounts == [-4_500, 30_000]  # newest first, signed
    me = member_api.get("/api/v1/me").json()
    assert me["wallet_balance"] == 25_500
    assert me["card_number"] == member.card_number


def test_a_sixth_live_code_retires_the_oldest(make_member: Any, api: APIClient) -> None:
    from payments.services.codes import payment_code_issue

    member = make_member(balance=10_000)
    codes = [payment_code_issue(member=member).code for _ in range(6)]
    assert_problem(pay(api, codes[0], 100), 410, "payment_code_expired")
    assert pay(api, codes[1], 100).status_code == 201
    assert pay(api, codes[5], 100).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"payment_code": "abc", "amount": 100},
        {"payment_code": "912345678901234567", "amount": -5},
        {"payment_code": "912345678901234567", "amount": "lots"},
        {"payment_code": "912345678901234567", "amount": 10**20},
        {"payment_code": ["x"], "amount": {"a": 1}},
    ],
)
def test_bad_payment_input_is_a_validation_problem(api: APIClient, body: dict[str, Any]) -> None:
    response = api.post("/api/v1/payments", body, format="json", **idem())
    assert_problem(response, 400, "validation_error")
    assert "errors" in response.json()


def test_a_terminal_cannot_see_or_refund_another_stores_payment(
    api: APIClient, make_member: Any, code_for: Any
) -> None:
    from payments.models import Store
    from payments.services.terminals import terminal_create

    member = make_member(balance=20_000)
    payment_id = pay(api, code_for(member), 5_000).json()["id"]
    _, other_key = terminal_create(store=Store.objects.create(name="Other", slug="other"), name="T")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert_problem(other.get(f"/api/v1/payments/{payment_id}"), 404, "not_found")
    assert_problem(other.post(f"/api/v1/payments/{payment_id}/refunds", {}, format="json", **idem()), 404, "not_found")
    assert Account.objects.get(member=member).balance == 15_000


# A payment is a one-tender order, in one transaction: the idempotency claim
# (under its advisory lock on PostgreSQL), code (locked, with the pause check),
# wallet lock with its counts, code used, payment, transfer, wallet posting,
# order, tender, shift, member lock with its counts and email consents, lot,
# entry, balance, visit, order paid, one INSERT for all notices, the sales account
# posting last; then the stored answer. Plus the SAVEPOINT and RELEASE the
# test's own transaction adds. Exact, so a statement added (or saved) shows.
PAYMENT_QUERIES = 21


def test_a_payment_makes_a_pinned_number_of_queries(
    api: APIClient,
    make_member: Callable[..., Member],
    code_for: Callable[[Member], str],
    django_assert_num_queries: Any,
) -> None:
    member = make_member(balance=100_000)
    # Warm up: rule rows and the store's sales account enter the per-process memo.
    for _ in range(2):
        pay(api, code_for(member), 1_000)
    code = code_for(member)
    with django_assert_num_queries(PAYMENT_QUERIES):
        response = pay(api, code, 12_000, reference="pinned")
    assert response.status_code == 201, response.content
    assert response.json()["points_earned"] == points_for(12_000)


def test_unusual_spending_alerts_managers_and_the_member_once_a_day(
    make_member: Any, programme: ProgrammeSettings
) -> None:
    from django.core.management import call_command

    ProgrammeSettings.objects.filter(pk=programme.pk).update(
        velocity_per_minute=1_000,
        no_confirmation_limit=10**9,
        daily_limit_cap=10**9,
        max_top_up=10**9,
        wallet_cap=10**9,
    )
    ProgrammeSettings.forget_cached()

    def spend(member: Member, amount: int, days_ago: int = 0) -> None:
        payment = pay_from_wallet(member=member, amount=amount)
        Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    usual, big_spender, newcomer = (make_member(balance=5_000_000) for _ in range(3))
    for day in range(1, 11):
        spend(usual, 15_000, day)
        spend(big_spender, 300_000 + day * 1_000, day)
    spend(newcomer, 15_000, 1)
    for member in (usual, big_spender, newcomer):
        spend(member, 300_000)
    out = io.StringIO()
    call_command("detect_unusual_spend", stdout=out)
    assert "Raised 1 unusual-spend alert(s)." in out.getvalue()
    alert = RiskAlert.objects.get(kind="unusual_spend")
    assert alert.member == usual and "NT$3,000" in alert.detail
    assert usual.notices.filter(kind="security", title="Unusual spending on your wallet today").exists()
    call_command("detect_unusual_spend", stdout=io.StringIO())
    assert RiskAlert.objects.filter(kind="unusual_spend").count() == 1
