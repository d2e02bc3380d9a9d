"""POST /api/v1/offline/sales: queued sales become orders exactly once, at the
price rung up, in their shift; offline codes pay from the hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from payments.exceptions import RefundExceedsPayment
from payments.models import (
    Account,
    OfflineCertificate,
    Order,
    RiskAlert,
    Shift,
    Store,
    Tender,
    Transfer,
)
from payments.selectors.shifts import z_report
from payments.selectors.wallet import wallet_balance
from payments.services.orders import order_refund
from tests.offline.conftest import Phone, sale, terminal_client

URL = "/api/v1/offline/sales"


def wallet_tender(amount: int, code: str) -> dict[str, Any]:
    return {"kind": "offline_wallet", "amount": amount, "code": code}


def send(api: APIClient, *sales: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post(URL, {"sales": list(sales)}, format="json")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_cash_sale_becomes_one_paid_order_at_the_rung_up_price_and_time(api: APIClient, shop: Store) -> None:
    at = timezone.now() - timedelta(hours=2)
    body = sale(lines=[{"sku": "latte", "quantity": 2, "unit_price": 11_000}], at=at)  # yesterday's price
    [result] = send(api, body)
    assert result["status"] == "created" and result["code"] is None
    order = Order.objects.get(pk=result["order"])
    assert (order.channel, order.status, order.total, order.store) == ("offline", "paid", 22_000, shop)
    assert order.paid_at == order.created_at and abs((order.paid_at - at).total_seconds()) < 1
    assert [(t.kind, t.amount) for t in order.tenders.all()] == [("cash", 22_000)]


def test_resending_a_batch_changes_nothing(api: APIClient, shop: Store) -> None:
    batch = [sale(), sale(tenders=[{"kind": "card", "amount": 12_000}])]
    first = send(api, *batch)
    again = send(api, *batch)
    assert [r["status"] for r in first] == ["created", "created"]
    assert [r["status"] for r in again] == ["replayed", "replayed"]
    assert [r["order"] for r in again] == [r["order"] for r in first]
    assert Order.objects.count() == 2 and Tender.objects.count() == 2


def test_a_key_reused_for_another_sale_is_refused(api: APIClient, shop: Store) -> None:
    send(api, sale(key="k-1"))
    [result] = send(api, sale(key="k-1", lines=[{"sku": "latte", "quantity": 3, "unit_price": 12_000}]))
    assert (result["status"], result["code"]) == ("refused", "idempotency_key_reused")
    assert Order.objects.count() == 1


def test_unknown_sku_absurd_price_and_wrong_tenders_are_refused_and_the_rest_recorded(
    api: APIClient, shop: Store
) -> None:
    unknown = sale(lines=[{"sku": "never-sold", "quantity": 1, "unit_price": 100}])
    results = send(
        api,
        unknown,
        sale(lines=[{"sku": "latte", "quantity": 1, "unit_price": 9_999_999}]),
        sale(tenders=[{"kind": "cash", "amount": 100}]),
        sale(at=timezone.now() + timedelta(hours=1)),
        sale(),
    )
    assert [(r["status"], r["code"]) for r in results] == [
        ("refused", "offline_sale_invalid"),
        ("refused", "offline_sale_invalid"),
        ("refused", "offline_sale_invalid"),
        ("refused", "offline_sale_invalid"),
        ("created", None),
    ]
    assert Order.objects.count() == 1
    # A resend of a refused sale sees the same refusal.
    [again] = send(api, unknown)
    assert (again["status"], again["code"]) == ("refused", "offline_sale_invalid")


def test_sale_in_a_closed_shift_lands_in_that_shifts_z_report(api: APIClient, shop: Store, barista_user: Any) -> None:
    opened = timezone.now() - timedelta(hours=5)
    closed_shift = Shift.objects.create(
        store=shop, opened_by=barista_user, opened_at=opened, closed_at=opened + timedelta(hours=2)
    )
    open_shift = Shift.objects.create(store=shop, opened_by=barista_user, opened_at=opened + timedelta(hours=3))
    named, guessed = send(
        api,
        sale(at=opened + timedelta(hours=1), shift=closed_shift.pk),
        sale(at=opened + timedelta(minutes=90)),  # no shift named: the one open then
    )
    assert Order.objects.get(pk=named["order"]).shift == closed_shift
    assert Order.objects.get(pk=guessed["order"]).shift == closed_shift
    report = z_report(shift=closed_shift)
    assert report.orders == 2 and report.by_tender == {"cash": 24_000}
    assert z_report(shift=open_shift).orders == 0


def test_offline_code_pays_from_the_hold_not_the_wallet_and_earns_points(
    api: APIClient, shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member)
    [result] = send(api, sale(tenders=[{"kind": "offline_wallet", "amount": 12_000, "code": phone.code()}]))
    assert result["status"] == "created"
    order = Order.objects.get(pk=result["order"])
    assert order.member == member and order.points_earned > 0
    assert wallet_balance(member=member) == 20_000  # untouched since the hold was set aside
    assert Account.objects.get(pk=phone.issued.certificate.hold_account_id).balance == 18_000
    assert order.tenders.get().kind == "offline_wallet"
    assert not RiskAlert.objects.exists()


def test_forged_code_is_refused_with_offline_code_invalid(
    api: APIClient, shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    text = phone.code()
    forged = text[:-6] + ("AAAAAA" if not text.endswith("AAAAAA") else "BBBBBB")
    [result] = send(api, sale(tenders=[{"kind": "offline_wallet", "amount": 12_000, "code": forged}]))
    assert (result["status"], result["code"], result["order"]) == ("refused", "offline_code_invalid", None)
    assert not Order.objects.exists()


def test_replayed_counter_pays_from_the_hold_alerts_and_turns_offline_off(
    api: APIClient, shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member)
    code = phone.code()
    first, second = send(
        api,
        sale(tenders=[{"kind": "offline_wallet", "amount": 12_000, "code": code}]),
        sale(tenders=[{"kind": "offline_wallet", "amount": 12_000, "code": code}]),
    )
    assert first["status"] == second["status"] == "created"  # the coffee was handed over both times
    alert = RiskAlert.objects.get()
    assert alert.kind == RiskAlert.Kind.OFFLINE_DOUBLE_SPEND and alert.member == member
    certificate = OfflineCertificate.objects.get()
    assert certificate.status == OfflineCertificate.Status.REVOKED and certificate.lost == 0
    # Both paid from the hold (it covered them); the rest went back to the wallet.
    assert wallet_balance(member=member) == 20_000 + 6_000
    assert Account.objects.get(pk=certificate.hold_account_id).balance == 0


def test_code_copied_to_two_tills_loses_at_most_the_allowance(
    shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    """Copies of the phone's codes spent at two offline tills: each till let
    through up to the allowance; the hold pays what it holds, the rest is a
    loss posted from Adjustments, and offline paying is off."""
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member, allowance=20_000)
    first_till, second_till = terminal_client(shop, "Till A"), terminal_client(shop, "Till B")
    lines = [{"sku": "latte", "quantity": 1, "unit_price": 20_000}]
    a = send(first_till, sale(lines=lines, tenders=[wallet_tender(20_000, phone.code(counter=5))]))
    b = send(second_till, sale(lines=lines, tenders=[wallet_tender(20_000, phone.code(counter=6))]))
    assert a[0]["status"] == b[0]["status"] == "created"
    certificate = OfflineCertificate.objects.get()
    assert (certificate.spent, certificate.lost, certificate.status) == (20_000, 20_000, "revoked")
    loss = Transfer.objects.get(kind=Transfer.Kind.ADJUSTMENT)
    assert loss.amount == 20_000 and loss.debit_account.kind == Account.Kind.ADJUSTMENTS
    assert loss.amount <= certificate.allowance
    assert RiskAlert.objects.filter(kind=RiskAlert.Kind.OFFLINE_DOUBLE_SPEND, member=member).count() == 1
    assert wallet_balance(member=member) == 30_000  # never charged for the copy
    assert all(o.status == "paid" for o in Order.objects.all())


def test_the_browser_till_sends_with_the_baristas_session_and_csrf(
    pos_till: tuple[Any, Store], barista_user: Any
) -> None:
    _client, store = pos_till
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(barista_user)
    refused = client.post(URL, {"sales": [sale()]}, format="json")
    assert refused.status_code == 403  # no CSRF token
    client.get("/pos/")
    token = client.cookies["csrftoken"].value
    response = client.post(URL, {"sales": [sale()]}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    order = Order.objects.get(pk=response.json()["results"][0]["order"])
    assert order.store == store and order.barista == barista_user


def test_a_member_cannot_send_offline_sales(member_client: Any, shop: Store) -> None:
    response = member_client.post(URL, {"sales": [sale()]}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Order.objects.exists()


def test_refund_of_an_offline_code_sale_goes_to_the_wallet_but_never_the_lost_part(
    api: APIClient, shop: Store, make_member: Callable[..., Any], phone_for: Any
) -> None:
    member = make_member(balance=50_000)
    phone: Phone = phone_for(member, allowance=20_000)
    lines = [{"sku": "latte", "quantity": 1, "unit_price": 15_000}]
    paid, copied = send(
        api,
        sale(lines=lines, tenders=[wallet_tender(15_000, phone.code())]),
        sale(lines=lines, tenders=[wallet_tender(15_000, phone.code())]),  # 5 000 from the hold, 10 000 lost
    )
    assert wallet_balance(member=member) == 30_000  # the copy ended the certificate; nothing was left
    done = order_refund(order=Order.objects.get(pk=paid["order"]), reason="spilt")
    assert done.wallet_balance == 45_000 and wallet_balance(member=member) == 45_000
    with pytest.raises(RefundExceedsPayment):
        order_refund(order=Order.objects.get(pk=copied["order"]), reason="try to cash the copy")
    order_refund(order=Order.objects.get(pk=copied["order"]), amount=5_000, reason="the hold's part")
    assert wallet_balance(member=member) == 50_000
