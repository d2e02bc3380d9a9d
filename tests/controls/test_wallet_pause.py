"""Money controls, 11a: in an incident a manager pauses wallet payments —
chain-wide or at one store — and while paused no channel can take wallet
money (terminal API, till, a member approving a held payment), while cash,
card, points and top-ups keep working; only a manager can pause or lift, and
lifting is recorded."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from cafe_loyalty.core.problems import Problem, problem_exception_handler
from members.models import Member
from members.selectors import points_problems
from members.services import member_create
from payments.exceptions import WalletPauseInvalid, WalletPauseRefused, WalletPaymentsPaused
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import (
    Account,
    Order,
    Payment,
    PaymentCode,
    Product,
    RiskAlert,
    Store,
    StoreStaff,
    Tender,
    WalletPause,
)
from payments.selectors.ledger import ledger_problems
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.pauses import wallet_payments_pause, wallet_payments_resume
from payments.services.terminals import terminal_create
from payments.services.top_ups import wallet_top_up
from tests.conftest import make_staff
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db

REASON = "Card-skimming incident under review"


# --- Setting the scene -------------------------------------------------------------------


@pytest.fixture
def daan(barista_user: Any) -> Store:
    load_menu_demo()
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    return store


@pytest.fixture
def xinyi(db: Any) -> Store:
    return Store.objects.create(name="Xinyi", slug="xinyi")


def terminal_client(store: Store) -> APIClient:
    _, key = terminal_create(store=store, name=f"Kiosk {uuid.uuid4().hex[:6]}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def funded(email: str, amount: int = 200_000) -> Member:
    member = member_create(user=None, display_name=email.split("@")[0], email=email)
    wallet_top_up(member=member, amount=amount, tender="cash")
    return member


def balance(member: Member) -> int:
    return Account.objects.get(kind=Account.Kind.WALLET, member=member).balance


def api_pay(api: APIClient, code: str, amount: int, key: str | None = None) -> Any:
    return api.post(
        "/api/v1/payments",
        {"payment_code": code, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex,
    )


def admin_pause(client: Client, *, store: Store | None = None, reason: str = REASON) -> Any:
    return client.post(
        "/admin/payments/walletpause/pause/", {"store": store.pk if store else "", "reason": reason}, follow=True
    )


def admin_lift(client: Client, pause: WalletPause, reason: str) -> Any:
    return client.post(
        "/admin/payments/walletpause/",
        {"action": "lift", "_selected_action": [pause.pk], "apply": "1", "lift_reason": reason},
        follow=True,
    )


def assert_books_balance() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


# --- Chain-wide pause ------------------------------------------------------------------------


def test_a_chain_wide_pause_refuses_an_api_payment_with_503_retry_after_and_its_code(
    manager_client: Client, daan: Store
) -> None:
    paused = admin_pause(manager_client)
    assert "Wallet payments are paused at all stores." in paused.content.decode()
    pause = WalletPause.objects.get()
    assert pause.store is None and pause.reason == REASON and pause.lifted_at is None

    member = funded("ana@example.com")
    code = payment_code_issue(member=member).code
    response = api_pay(terminal_client(daan), code, 12_000)

    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["Retry-After"] == "300"
    body = response.json()
    assert body["code"] == "wallet_payments_paused" and body["status"] == 503
    assert "paused" in body["detail"] and REASON not in body["detail"]  # the incident stays internal
    # Nothing half-written: no payment, no order, the code still unused, the money where it was.
    assert not Payment.objects.exists() and not Order.objects.exists()
    assert PaymentCode.objects.get(code_hash=hash_payment_code(code)).used_at is None
    assert balance(member) == 200_000
    assert_books_balance()


def test_a_paused_till_shows_the_banner_and_refuses_a_forced_wallet_tender_while_cash_and_card_work(
    client: Client, manager_user: Any, barista_user: Any, daan: Store
) -> None:
    wallet_payments_pause(store=None, reason=REASON, by=manager_user)
    member = funded("bo@example.com")
    client.force_login(barista_user)

    page = client.get("/pos/").content.decode()
    assert 'data-testid="wallet-paused"' in page
    assert "Wallet payments are paused at all stores." in page and REASON in page
    order = Order.objects.get(pk=client.session["pos_order_id"])
    latte = Product.objects.get(sku="latte")
    client.post(f"/pos/orders/{order.pk}/add/{latte.pk}/", HTTP_HX_REQUEST="true")
    cart = client.post(
        f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    ).content.decode()
    wallet_button = cart[cart.index('data-testid="pay-wallet"') :].split(">", 1)[0]
    assert "disabled" in wallet_button and REASON in wallet_button

    # The attack: post the wallet tender anyway (the button is only HTML).
    forced = client.post(
        f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Wallet payments are paused by the cafe for now. Take cash or card instead." in forced
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and not order.tenders.exists() and not Payment.objects.exists()
    assert balance(member) == 200_000

    # Cash still works at the paused till ...
    client.post(
        f"/pos/orders/{order.pk}/pay/",
        {"kind": "cash", "key": uuid.uuid4().hex, "cash_received": "200"},
        HTTP_HX_REQUEST="true",
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert [t.kind for t in order.tenders.all()] == [Tender.Kind.CASH]
    # ... and so does card, on the next order.
    client.post("/pos/new/")
    client.get("/pos/")
    card_order = Order.objects.get(pk=client.session["pos_order_id"])
    client.post(f"/pos/orders/{card_order.pk}/add/{latte.pk}/", HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{card_order.pk}/pay/", {"kind": "card", "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="true")
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.PAID
    assert_books_balance()


def test_a_member_cannot_approve_a_held_payment_while_paused_but_can_still_top_up(
    member_client: Client, member: Member, manager_user: Any, daan: Store
) -> None:
    wallet_top_up(member=member, amount=200_000, tender="cash")
    # Two payments above the no-confirmation limit wait for the member ...
    held_api = pay_from_wallet(code=payment_code_issue(member=member).code, amount=60_000, store=daan)
    held_portal = pay_from_wallet(code=payment_code_issue(member=member).code, amount=70_000, store=daan)
    assert held_api.status == held_portal.status == Payment.Status.REQUIRES_CONFIRMATION
    # ... when a manager pauses wallet payments.
    wallet_payments_pause(store=None, reason=REASON, by=manager_user)

    pay_page = member_client.get("/pay/").content.decode()
    assert "Paying with the wallet is paused for now." in pay_page and REASON not in pay_page

    api = APIClient()
    api.force_authenticate(member.user)
    refused = api.post(f"/api/v1/me/payments/{held_api.pk}/confirm", {"approve": True}, format="json")
    assert refused.status_code == 503 and refused["Retry-After"] == "300"
    assert refused.json()["code"] == "wallet_payments_paused"

    answered = member_client.post(f"/wallet/confirm/{held_portal.pk}/", {"decision": "approve"}, follow=True)
    assert "Wallet payments are paused for now." in answered.content.decode()

    for held in (held_api, held_portal):
        held.refresh_from_db()
        # Declined with its reason, so the till stops waiting and takes cash or card.
        assert (held.status, held.decline_code) == (Payment.Status.DECLINED, "wallet_payments_paused")
    assert balance(member) == 200_000

    # Top-ups keep working while paused.
    wallet_top_up(member=member, amount=10_000, tender="cash")
    assert balance(member) == 210_000
    assert_books_balance()


# --- One store's pause -----------------------------------------------------------------------


def test_a_store_pause_stops_only_that_stores_terminals_and_tills(
    manager_client: Client, barista_user: Any, daan: Store, xinyi: Store, django_user_model: Any
) -> None:
    admin_pause(manager_client, store=daan)
    assert WalletPause.objects.get().store == daan
    member = funded("cy@example.com")

    at_daan = api_pay(terminal_client(daan), payment_code_issue(member=member).code, 10_000)
    assert at_daan.status_code == 503 and at_daan.json()["code"] == "wallet_payments_paused"
    at_xinyi = api_pay(terminal_client(xinyi), payment_code_issue(member=member).code, 10_000)
    assert at_xinyi.status_code == 201, at_xinyi.content
    assert balance(member) == 190_000

    # The Da'an till shows the pause; a till at Xinyi does not.
    daan_till = Client()
    daan_till.force_login(barista_user)
    assert "Wallet payments are paused at Da&#x27;an." in daan_till.get("/pos/").content.decode()
    xinyi_barista = make_staff(django_user_model, "lin@example.com", "Barista")
    StoreStaff.objects.create(user=xinyi_barista, store=xinyi, role="Barista")
    other = Client()
    other.force_login(xinyi_barista)
    assert 'data-testid="wallet-paused"' not in other.get("/pos/").content.decode()
    assert_books_balance()


def test_members_see_which_stores_are_paused(member_client: Client, manager_user: Any, daan: Store) -> None:
    wallet_payments_pause(store=daan, reason=REASON, by=manager_user)
    page = member_client.get("/pay/").content.decode()
    assert "Paying with the wallet is paused for now at Da&#x27;an." in page
    assert REASON not in page


# --- Lifting ---------------------------------------------------------------------------------


def test_lifting_is_recorded_and_wallet_payments_work_again(
    manager_client: Client, manager_user: Any, daan: Store
) -> None:
    admin_pause(manager_client)
    pause = WalletPause.objects.get()
    member = funded("di@example.com")
    api = terminal_client(daan)
    code, key = payment_code_issue(member=member).code, uuid.uuid4().hex
    assert api_pay(api, code, 12_000, key).status_code == 503

    refused = admin_lift(manager_client, pause, "  ")
    assert "This field is required." in refused.content.decode()
    assert WalletPause.objects.get().lifted_at is None

    lifted = admin_lift(manager_client, pause, "Skimmer found and removed")
    assert "Lifted 1 pause(s)." in lifted.content.decode()
    pause.refresh_from_db()
    assert pause.lifted_by == manager_user and pause.lifted_at is not None
    assert pause.lift_reason == "Skimmer found and removed"
    entry = LogEntry.objects.filter(object_id=str(pause.pk), action_flag=CHANGE).get()
    assert entry.user_id == manager_user.pk and "Skimmer found and removed" in entry.get_change_message()
    alert = RiskAlert.objects.get(kind=RiskAlert.Kind.WALLET_PAUSED)
    assert alert.resolved_by == manager_user and "Skimmer found and removed" in alert.resolution_note

    # The refused request ran nothing: the same key and code now pay.
    paid = api_pay(api, code, 12_000, key)
    assert paid.status_code == 201, paid.content
    assert balance(member) == 188_000

    again = admin_lift(manager_client, pause, "twice")
    assert "None of the selected pauses is in force." in again.content.decode()
    assert_books_balance()


def test_after_lifting_the_scope_can_be_paused_again_and_the_history_stays(manager_user: Any, daan: Store) -> None:
    first = wallet_payments_pause(store=daan, reason=REASON, by=manager_user)
    wallet_payments_resume(pause=first, reason="resolved", by=manager_user)
    second = wallet_payments_pause(store=daan, reason="Second incident", by=manager_user)
    assert WalletPause.objects.count() == 2 and second.lifted_at is None
    with pytest.raises(WalletPauseInvalid, match="already been lifted"):
        wallet_payments_resume(pause=first, reason="again", by=manager_user)


# --- Who may pause ---------------------------------------------------------------------------


def test_only_a_manager_can_pause_or_lift(
    client: Client, manager_user: Any, shift_manager_user: Any, barista_user: Any, daan: Store, django_user_model: Any
) -> None:
    for user in (barista_user, shift_manager_user):
        assert not user.has_perm("payments.pause_wallet_payments")
        with pytest.raises(WalletPauseRefused, match="Only a manager can pause or resume wallet payments."):
            wallet_payments_pause(store=None, reason=REASON, by=user)
    pause = wallet_payments_pause(store=daan, reason=REASON, by=manager_user)
    with pytest.raises(WalletPauseRefused):
        wallet_payments_resume(pause=pause, reason="all clear", by=shift_manager_user)

    # A back-office user who may read pauses but not set them gets neither the form nor the action.
    clerk = make_staff(django_user_model, "clerk@example.com", "Barista")
    clerk.is_staff = True
    clerk.save()
    clerk.user_permissions.add(Permission.objects.get(codename="view_walletpause"))
    client.force_login(clerk)
    assert client.get("/admin/payments/walletpause/").status_code == 200
    assert client.post("/admin/payments/walletpause/pause/", {"reason": "x"}).status_code == 403
    lift = admin_lift(client, pause, "all clear")
    assert lift.status_code == 200
    pause.refresh_from_db()
    assert pause.lifted_at is None
    assert WalletPause.objects.count() == 1


def test_a_pause_needs_a_reason_and_one_open_pause_per_scope(
    manager_client: Client, manager_user: Any, daan: Store
) -> None:
    blank = admin_pause(manager_client, reason="   ")
    assert not WalletPause.objects.exists() and "This field is required." in blank.content.decode()

    wallet_payments_pause(store=None, reason=REASON, by=manager_user)
    second = admin_pause(manager_client, reason="again")
    assert "Wallet payments are already paused at all stores: lift that pause first." in second.content.decode()
    wallet_payments_pause(store=daan, reason="store too", by=manager_user)  # another scope
    assert WalletPause.objects.filter(lifted_at__isnull=True).count() == 2
    # The database itself keeps one open pause per scope.
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletPause.objects.create(store=daan, reason="sneaked in", set_by=manager_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletPause.objects.create(store=None, reason="sneaked in", set_by=manager_user)


def test_a_problem_carries_its_headers_to_the_api_answer() -> None:
    class Busy(Problem):
        status, code, title = 503, "busy", "Busy"
        headers = {"Retry-After": "60"}

    answer = problem_exception_handler(Busy(headers={"X-Incident": "42"}), {})
    assert answer is not None and answer.status_code == 503
    assert (answer["Retry-After"], answer["X-Incident"]) == ("60", "42")
    assert Busy.headers == {"Retry-After": "60"}  # an instance's headers never leak into the class
    assert problem_exception_handler(WalletPaymentsPaused(), {})["Retry-After"] == "300"  # type: ignore[index]
