"""Money controls: guessing payment codes and card numbers. Unknown ones count
per terminal (or till login) in the shared cache; past the limit the terminal
waits out the window (429 with Retry-After, `too_many_failures`, a right code
too), managers get one RiskAlert, and other terminals carry on."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from members.cards import generate_card_number
from members.models import Member
from members.selectors import points_problems
from members.services import member_create
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Account, FailedCodeAttempt, Order, Payment, PaymentCode, RiskAlert, Store, StoreStaff, TopUp
from payments.selectors.ledger import ledger_problems
from payments.services.codes import payment_code_issue
from payments.services.guessing import GUESS_LIMIT, GUESS_WINDOW_SECONDS
from payments.services.terminals import terminal_create
from payments.services.top_ups import wallet_top_up
from tests.controls import frozen_clock

pytestmark = pytest.mark.django_db

clock = frozen_clock.clock  # the fixture: time.time() moved on by hand


@pytest.fixture
def store(db: Any) -> Store:
    return Store.objects.create(name="Da'an", slug="daan")


def terminal_client(store: Store, name: str) -> tuple[Any, APIClient]:
    terminal, key = terminal_create(store=store, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return terminal, client


@pytest.fixture
def member(db: Any) -> Member:
    member = member_create(user=None, display_name="Wen", email="wen@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash")
    return member


def unknown_code() -> str:
    return "9" + "".join(secrets.choice("0123456789") for _ in range(17))


def pay(api: APIClient, code: str, amount: int = 1_000) -> Any:
    body = {"payment_code": code, "amount": amount}
    return api.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def top_up(api: APIClient, card: str) -> Any:
    body = {"member": card, "amount": 10_000, "tender": "cash"}
    return api.post("/api/v1/topups", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def assert_stopped(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "too_many_failures"
    assert "Too many unknown payment codes or card numbers" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= GUESS_WINDOW_SECONDS
    assert body["retry_after"] == int(response["Retry-After"])


def books_balance() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


def test_a_terminal_guessing_payment_codes_waits_out_the_window(store: Store, member: Member, clock: Any) -> None:
    guesser, api = terminal_client(store, "Kiosk 1")
    _other, neighbour = terminal_client(store, "Kiosk 2")
    for _ in range(GUESS_LIMIT):
        guess = pay(api, unknown_code())
        assert (guess.status_code, guess.json()["code"]) == (404, "payment_code_invalid")
    assert_stopped(pay(api, unknown_code()))

    # A right code from the stopped terminal is refused too, and stays unused.
    right = payment_code_issue(member=member).code
    assert_stopped(pay(api, right))
    assert_stopped(api.get(f"/api/v1/members/{member.card_number}"))
    assert not PaymentCode.objects.filter(used_at__isnull=False).exists()
    assert not Payment.objects.exists()
    assert Account.objects.get(member=member).balance == 50_000
    # Managers hear of it once, with the terminal.
    alert = RiskAlert.objects.get(kind=RiskAlert.Kind.GUESSING)
    assert alert.terminal == guesser and "10 unknown payment codes or card numbers" in alert.detail
    # The per-member and per-terminal records of refused codes are still kept.
    assert FailedCodeAttempt.objects.filter(terminal=guesser).count() == GUESS_LIMIT

    # Another terminal is not affected.
    assert pay(neighbour, unknown_code()).status_code == 404
    assert pay(neighbour, payment_code_issue(member=member).code).status_code == 201

    clock(GUESS_WINDOW_SECONDS - 60)
    assert_stopped(pay(api, right))
    clock(61)  # the window has passed
    assert pay(api, right).status_code == 201
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.GUESSING).count() == 1
    books_balance()


def test_guessing_card_numbers_at_lookup_and_top_up_is_stopped_too(store: Store, member: Member) -> None:
    guesser, api = terminal_client(store, "Kiosk 1")
    for i in range(GUESS_LIMIT):
        if i % 2:
            wrong = api.get(f"/api/v1/members/{i:012d}")
        else:
            wrong = top_up(api, f"{i:012d}")
        assert (wrong.status_code, wrong.json()["code"]) == (404, "member_not_found")
    assert_stopped(api.get(f"/api/v1/members/{member.card_number}"))
    assert_stopped(top_up(api, member.card_number))
    assert TopUp.objects.filter(terminal=guesser).count() == 0
    assert Account.objects.get(member=member).balance == 50_000
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.GUESSING, terminal=guesser).count() == 1
    books_balance()


def test_a_retried_request_is_not_counted_twice(store: Store) -> None:
    _terminal, api = terminal_client(store, "Kiosk 1")
    key = uuid.uuid4().hex
    body = {"payment_code": unknown_code(), "amount": 1_000}
    for _ in range(GUESS_LIMIT + 5):  # the same request, retried: one guess
        answer = api.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert answer.status_code == 404
    assert not RiskAlert.objects.filter(kind=RiskAlert.Kind.GUESSING).exists()


# --- The till -----------------------------------------------------------------------------


def till_for(user: Any, store: Store) -> tuple[Client, Order]:
    StoreStaff.objects.create(user=user, store=store, role="Barista")
    client = Client()
    client.force_login(user)
    client.get("/pos/")
    return client, Order.objects.get(pk=client.session["pos_order_id"])


def scan(client: Client, order: Order, text: str) -> str:
    return client.post(f"/pos/orders/{order.pk}/scan/", {"code": text}, HTTP_HX_REQUEST="true").content.decode()


def test_a_till_login_guessing_codes_and_cards_is_stopped_with_a_clear_message(
    store: Store, member: Member, barista_user: Any, shift_manager_user: Any
) -> None:
    load_menu_demo()
    till, order = till_for(barista_user, store)
    for i in range(GUESS_LIMIT):
        page = scan(till, order, unknown_code() if i % 2 else generate_card_number())
        assert "Unknown payment code" in page or "No member with that card number" in page
    stopped = scan(till, order, payment_code_issue(member=member).code)
    assert "Too many unknown payment codes or card numbers from here" in stopped
    order.refresh_from_db()
    assert order.member_id is None
    # The counter's member lookup waits as well: no top-up.
    counter = till.post("/pos/top-up/", {"card": member.card_number, "amount": "100", "tender": "cash", "key": "t1"})
    assert "Too many unknown payment codes or card numbers from here" in counter.content.decode()
    assert not TopUp.objects.filter(actor=barista_user).exists()
    alert = RiskAlert.objects.get(kind=RiskAlert.Kind.GUESSING)
    assert alert.terminal is None and barista_user.email in alert.detail
    # Another login at the same store scans as usual.
    colleague, their_order = till_for(shift_manager_user, store)
    assert "Member found" in scan(colleague, their_order, payment_code_issue(member=member).code)
    books_balance()
