"""The till over HTTP: totals, modifiers, tenders, idempotency, refunds, Z report, query counts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Category, ModifierOption, Order, Payment, PaymentCode, Product, Store, Tender
from payments.selectors.ledger import ledger_problems
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.shifts import shift_open, z_report
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory
from tests.helpers import confirm_payment

pytestmark = pytest.mark.django_db


def order_of(client: Client) -> Order:
    client.get("/pos/")
    return Order.objects.get(pk=client.session["pos_order_id"])


def add(client: Client, order: Order, sku: str) -> Any:
    return client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku=sku).pk}/", HTTP_HX_REQUEST="true")


def test_modifiers_change_the_line_price(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    order = order_of(client)
    add(client, order, "latte")
    line = order.lines.get()
    oat = ModifierOption.objects.get(group="Milk", name="Oat milk")
    large = ModifierOption.objects.get(group="Size", name="Large")
    shot = ModifierOption.objects.get(name="Extra shot")
    client.post(f"/pos/lines/{line.pk}/modifiers/", {"modifier": [oat.pk, large.pk, shot.pk]}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.total == 12_000 + 1_500 + 3_000 + 2_000
    client.post(f"/pos/lines/{line.pk}/quantity/", {"quantity": "2"}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.total == 2 * 18_500


def test_cash_tender_computes_change_and_card_covers_the_rest(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    order = order_of(client)
    add(client, order, "croissant")  # NT$80
    add(client, order, "americano")  # NT$90 + M 15 = 105
    response = client.post(
        f"/pos/orders/{order.pk}/pay/", {"kind": "cash", "key": "k1", "cash_received": "100"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "open"
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "card", "key": "k2"}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.status == "paid"
    assert [(t.kind, t.amount) for t in order.tenders.all()] == [("cash", 10_000), ("card", 8_500)]
    order2 = order_of(client)
    add(client, order2, "croissant")
    page = client.post(
        f"/pos/orders/{order2.pk}/pay/", {"kind": "cash", "key": "k3", "cash_received": "100"}, HTTP_HX_REQUEST="true"
    )
    assert "Give change: NT$20" in page.content.decode()


def test_wallet_pay_retried_with_the_same_key_charges_once(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="W", email="w@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    order = order_of(client)
    add(client, order, "latte")
    code = payment_code_issue(member=member).code
    client.post(f"/pos/orders/{order.pk}/scan/", {"code": code}, HTTP_HX_REQUEST="true")
    # The till keeps only the code's keyed hash between the scan and the tap.
    stored = Order.objects.filter(pk=order.pk).values().get()
    assert stored["scanned_code_hash"] == hash_payment_code(code) and code not in str(stored)
    for _ in range(3):
        client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": "same"}, HTTP_HX_REQUEST="true")
    assert Payment.objects.count() == 1
    assert Tender.objects.count() == 1
    order.refresh_from_db()
    assert order.status == "paid" and order.points_earned == 13
    member.refresh_from_db()
    assert member.points_balance == 13
    assert ledger_problems() == []


def test_declined_wallet_tells_the_barista_what_to_say(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="Poor", email="p@example.com")
    order = order_of(client)
    add(client, order, "latte")
    client.post(
        f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    )
    page = client.post(
        f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": "x"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Suggest a top-up" in page
    assert not Tender.objects.exists()
    bogus = client.post(f"/pos/orders/{order.pk}/scan/", {"code": "912345678901234567"}, HTTP_HX_REQUEST="true")
    assert "refresh their code" in bogus.content.decode()


def test_large_payment_waits_for_the_member_then_settles(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="Big", email="big@example.com")
    wallet_top_up(member=member, amount=900_000, tender="cash", store=store)
    order = order_of(client)
    add(client, order, "latte")
    line = order.lines.get()
    client.post(f"/pos/lines/{line.pk}/quantity/", {"quantity": "5"}, HTTP_HX_REQUEST="true")  # NT$675 > NT$500
    client.post(
        f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    )
    page = client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": "big"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="waiting"' in page.content.decode()
    confirm_payment(payment_id=Payment.objects.get().pk, member=member)
    status = client.get(f"/pos/orders/{order.pk}/status/", HTTP_HX_REQUEST="true")
    assert 'data-testid="paid"' in status.content.decode()


def test_refund_above_threshold_needs_a_shift_manager(pos_till: tuple[Client, Store], shift_manager_user: Any) -> None:
    client, store = pos_till
    order = order_of(client)
    add(client, order, "latte")
    line = order.lines.get()
    client.post(f"/pos/lines/{line.pk}/quantity/", {"quantity": "5"}, HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "card", "key": "c"}, HTTP_HX_REQUEST="true")
    refused = client.post(f"/pos/orders/{order.pk}/refund/", {"whole": "1", "confirm": "1"})
    assert b"shift manager" in refused.content
    from tests.conftest import approver_login

    approved = client.post(
        f"/pos/orders/{order.pk}/refund/", {"whole": "1", "confirm": "1", **approver_login(shift_manager_user)}
    )
    assert approved.status_code == 302
    order.refresh_from_db()
    assert order.status == "refunded"


def test_z_report_adds_up(pos_till: tuple[Client, Store], barista_user: Any, shift_manager_user: Any) -> None:
    client, store = pos_till
    shift = shift_open(store=store, user=shift_manager_user, opening_float=50_000)
    for kind in ("cash", "card"):
        order = order_of(client)
        add(client, order, "croissant")
        client.post(f"/pos/orders/{order.pk}/pay/", {"kind": kind, "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="true")
        client.post("/pos/new/")
    member = MemberFactory.create(display_name="T", email="t@example.com")
    wallet_top_up(member=member, amount=30_000, tender="cash", store=store)
    report = z_report(shift=shift)
    assert report.orders == 2
    assert report.by_tender == {"cash": 8_000, "card": 8_000}
    assert report.tenders_total == report.net_sales == 16_000
    assert report.expected_cash == 50_000 + 8_000 + 30_000


# Pinned per request; the same bound holds for a 3-item and a 60-item menu and cart.
# scan: +1 for the points policy behind the Points button's preview (memoised per
# process, so loaded once here where each test starts with cold rule caches);
# +1 for the member's consent to personalised offers ("For you" beside their name).
QUERIES = {"page": 13, "add": 20, "scan": 26, "pay": 58}


@pytest.mark.parametrize("products", [3, 60])
def test_till_requests_make_constant_queries(
    pos_till: tuple[Client, Store], products: int, django_assert_max_num_queries: Any
) -> None:
    client, store = pos_till
    coffee = Category.objects.get(slug="coffee")
    size = ModifierOption.objects.filter(group="Size")
    for i in range(products):
        product = Product.objects.create(category=coffee, name=f"Blend {i}", sku=f"blend-{i}", price=10_000)
        product.modifiers.set(size)
    order = order_of(client)
    for _ in range(products // 10 + 1):
        add(client, order, "latte")
    member: Member = MemberFactory.create(display_name="Q", email="q@example.com")
    wallet_top_up(member=member, amount=900_000, tender="cash", store=store)
    with django_assert_max_num_queries(QUERIES["page"]):
        client.get("/pos/")
    with django_assert_max_num_queries(QUERIES["add"]):
        add(client, order, "latte")
    code = payment_code_issue(member=member).code  # the member's phone, not the till's request
    with django_assert_max_num_queries(QUERIES["scan"]):
        client.post(f"/pos/orders/{order.pk}/scan/", {"code": code}, HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(QUERIES["pay"]):
        client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": f"q{products}"}, HTTP_HX_REQUEST="true")


# The till's pay-by-wallet request, exactly (session, staff, order lock with
# lines and coupons, the order's tenders read once under the lock, the charge
# as for the API, the settle, the order read back with its member and tier;
# a paid cart reads no pause, no options and not the wallet the charge just
# gave the balance of, and takes its lines, coupons and tenders from the
# lock's read; the role check, the staff-MFA check and the barista's store
# come from per-process memos; the session is not written, the paid order's
# id stays in it until "Next order"): a statement added or saved shows here.
# 45, then 39, then 31 before.
TILL_WALLET_PAY_QUERIES = 28


def test_a_till_wallet_payment_makes_a_pinned_number_of_queries(
    pos_till: tuple[Client, Store], django_assert_num_queries: Any
) -> None:
    client, store = pos_till
    member: Member = MemberFactory.create(display_name="P", email="p@example.com")
    wallet_top_up(member=member, amount=900_000, tender="cash", store=store)
    for key in ("warm-1", "warm-2", "pinned"):  # warm: rule rows and the sales account enter the memo
        client.post("/pos/new/")
        order = order_of(client)
        add(client, order, "latte")
        code = payment_code_issue(member=member).code
        client.post(f"/pos/orders/{order.pk}/scan/", {"code": code}, HTTP_HX_REQUEST="true")
        if key != "pinned":
            client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": key}, HTTP_HX_REQUEST="true")
    with django_assert_num_queries(TILL_WALLET_PAY_QUERIES):
        response = client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": key}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.points_earned > 0
    assert f"Paid. +{order.points_earned} points" in response.content.decode()


def test_after_a_payment_the_till_opens_a_new_order_with_or_without_next_order(
    pos_till: tuple[Client, Store],
) -> None:
    """The pay request leaves the paid order's id in the session (no session
    write while the member waits): the till must still never resume it."""
    client, store = pos_till
    member: Member = MemberFactory.create(display_name="N", email="n@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    paid_ids = []
    for press_next_order in (False, True):
        order = order_of(client)
        add(client, order, "latte")
        code = payment_code_issue(member=member).code
        client.post(f"/pos/orders/{order.pk}/scan/", {"code": code}, HTTP_HX_REQUEST="true")
        paid = client.post(
            f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="true"
        )
        assert 'data-testid="paid"' in paid.content.decode()
        paid_ids.append(order.pk)
        if press_next_order:
            client.post("/pos/new/")
        page = client.get("/pos/")
        fresh = Order.objects.get(pk=client.session["pos_order_id"])
        assert fresh.pk not in paid_ids and fresh.status == Order.Status.OPEN and fresh.member is None
        assert f'data-order="{fresh.pk}"' in page.content.decode()
        # A tap on a menu tile adds to the new order, not the paid one.
        assert f"/pos/orders/{fresh.pk}/add/" in page.content.decode()
    assert Order.objects.filter(pk__in=paid_ids, status=Order.Status.PAID).count() == 2


def test_the_paid_line_reads_as_one_sentence_in_chinese(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member: Member = MemberFactory.create(display_name="P", email="p@example.com")
    wallet_top_up(member=member, amount=900_000, tender="cash", store=store)
    client.post("/pos/new/")
    order = order_of(client)
    add(client, order, "latte")
    client.post(
        f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    )
    response = client.post(
        f"/pos/orders/{order.pk}/pay/",
        {"kind": "wallet", "key": "zh"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )
    order.refresh_from_db()
    assert f"已付款，+{order.points_earned} 點" in response.content.decode()


def test_menu_csv_round_trip_and_bad_rows_import_nothing(client: Client, manager_user: Any) -> None:
    load_menu_demo()
    client.force_login(manager_user)
    ids = list(Product.objects.values_list("pk", flat=True))
    exported = client.post("/admin/payments/product/", {"action": "export_csv", "_selected_action": ids})
    text = exported.content.decode()
    assert text.splitlines()[0] == "sku,name,category,price,modifiers,quick_key,active"
    changed = text.replace("Latte,coffee,120,", "Latte,coffee,125,")
    from django.core.files.uploadedfile import SimpleUploadedFile

    ok = client.post("/admin/payments/product/import-csv/", {"file": SimpleUploadedFile("menu.csv", changed.encode())})
    assert ok.status_code == 302
    assert Product.objects.get(sku="latte").price == 12_500
    bad = changed.replace("latte,Latte,coffee,125", "latte,Latte,nosuch,130")
    refused = client.post("/admin/payments/product/import-csv/", {"file": SimpleUploadedFile("menu.csv", bad.encode())})
    assert refused.status_code == 200 and b"Nothing imported" in refused.content
    assert Product.objects.get(sku="latte").price == 12_500
    for url in [
        "/admin/payments/product/",
        "/admin/payments/order/",
        "/admin/payments/shift/",
        "/admin/campaigns/orderfeedback/",
        "/admin/campaigns/coupon/",
        "/admin/campaigns/reward/",
        "/admin/campaigns/referral/",
    ]:
        assert client.get(url).status_code == 200, url


def test_member_sees_their_till_receipt(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username="r@example.com", email="r@example.com", password="x-long-pass-1"
    )
    member = MemberFactory.create(user=user, display_name="R", email="r@example.com")
    order = order_of(client)
    add(client, order, "croissant")
    client.post(f"/pos/orders/{order.pk}/scan/", {"code": member.card_number}, HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "card", "key": "r1"}, HTTP_HX_REQUEST="true")
    notice = member.notices.get(link=f"/wallet/receipts/{order.pk}/")
    # The inbox (and, with consent, the email) carries the receipt itself.
    order.refresh_from_db()
    assert "1 × Croissant" in notice.body and "Paid by card" in notice.body
    assert f"Points earned {order.points_earned}" in notice.body
    member_client = Client()
    member_client.force_login(user)
    page = member_client.get(f"/wallet/receipts/{order.pk}/")
    assert page.status_code == 200 and b"Croissant" in page.content
    assert client.get(f"/pos/orders/{order.pk}/receipt/").status_code == 200


def test_refund_of_some_items_of_a_line(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    order = order_of(client)
    add(client, order, "croissant")  # NT$80 each
    line = order.lines.get()
    client.post(f"/pos/lines/{line.pk}/quantity/", {"quantity": "3"}, HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "cash", "key": "c3"}, HTTP_HX_REQUEST="true")
    line.refresh_from_db()
    assert line.quantity == 3
    page = client.get(f"/pos/orders/{order.pk}/refund/").content.decode()
    assert f'name="qty-{line.pk}"' in page and 'max="3"' in page
    client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{line.pk}": "2", "confirm": "1"})
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, order.refunded_amount, line.refunded_quantity) == ("paid", 16_000, 2)
    too_many = client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{line.pk}": "2"})
    assert "Only 1 of Croissant left to refund" in too_many.content.decode()
    # A barista working in Chinese gets the refusal in Chinese.
    chinese = client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{line.pk}": "2"}, HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "只剩 1 份可退款" in chinese.content.decode()
    client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{line.pk}": "1", "confirm": "1"})
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, order.refunded_amount, line.refunded_quantity) == ("refunded", 24_000, 3)
    assert Tender.objects.get(order=order).refunded_amount == 24_000


def test_refund_of_one_line_goes_back_in_proportion_and_reverses_points_in_part(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="Part", email="part@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    order = order_of(client)
    add(client, order, "croissant")  # NT$80
    add(client, order, "americano")  # NT$105
    line = order.lines.order_by("pk").first()
    assert line is not None
    client.post(f"/pos/lines/{line.pk}/note/", {"note": "warm it up"}, HTTP_HX_REQUEST="true")
    client.post(
        f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    )
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": "p1"}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    member.refresh_from_db()
    assert (order.status, order.points_earned, member.points_balance) == ("paid", 18, 18)
    client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{line.pk}": "1", "confirm": "1"})
    order.refresh_from_db()
    member.refresh_from_db()
    assert order.status == "paid" and order.refunded_amount == 8_000
    assert member.points_balance == 18 - 18 * 8_000 // 18_500
    from payments.models import Account

    assert Account.objects.get(member=member).balance == 50_000 - 18_500 + 8_000
    client.post(f"/pos/orders/{order.pk}/refund/", {"whole": "1", "confirm": "1"})
    order.refresh_from_db()
    member.refresh_from_db()
    assert order.status == "refunded" and member.points_balance == 0
    assert ledger_problems() == []
    assert "warm it up" in client.get(f"/pos/orders/{order.pk}/receipt/").content.decode()


def test_counter_top_up_happens_once_per_form_and_shows_the_bonuses(pos_till: tuple[Client, Store]) -> None:
    from payments.models import TopUp, TopUpBonusRule

    client, store = pos_till
    TopUpBonusRule.objects.create(name="1000 get 100", min_amount=100_000, bonus=10_000)
    member = MemberFactory.create(display_name="Wen", email="wen@example.com")
    page = client.get("/pos/top-up/").content.decode()
    assert "Top up NT$1,000 or more: +NT$100 bonus" in page
    form = {"card": member.card_number, "amount": "1000", "tender": "cash", "key": "k-1"}
    assert "Balance NT$1,100" in client.post("/pos/top-up/", form).content.decode()
    assert "Already done" in client.post("/pos/top-up/", form).content.decode()  # double tap
    assert [(t.amount, t.bonus, t.store_id) for t in TopUp.objects.filter(member=member)] == [
        (100_000, 10_000, store.pk)
    ]
    # A refused top-up (above the largest allowed, NT$10,000) can be sent again with the same form once fixed.
    refused = {**form, "key": "k-2", "amount": "999999"}
    assert "Top up between" in client.post("/pos/top-up/", refused).content.decode()
    assert "Balance NT$1,400" in client.post("/pos/top-up/", {**refused, "amount": "300"}).content.decode()
    # The pay code on the member's phone identifies them too, and stays usable to pay.
    code = payment_code_issue(member=member).code
    by_code = {"card": code, "amount": "100", "tender": "card", "card_reference": "A1B2", "key": "k-3"}
    assert "Balance NT$1,500" in client.post("/pos/top-up/", by_code).content.decode()
    assert PaymentCode.objects.get(member=member).used_at is None
    unknown = {**by_code, "key": "k-4", "card": "9" * 18}
    assert "No member with that card number or pay code" in client.post("/pos/top-up/", unknown).content.decode()
    assert ledger_problems() == []
