"""The till as a barista meets it (issue #15): modifier buttons, tile prices,
the wallet-short split, the points preview, the refund confirmation, closing
a shift, enrolling a member, and the staff sign-in page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from members.models import Member
from members.points import points_earn
from payments.models import Account, ModifierOption, Order, Payment, Product, Shift, Store
from payments.services.codes import payment_code_issue
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD, MemberFactory, totp_code
from tests.helpers import confirm_payment

pytestmark = pytest.mark.django_db


def order_of(client: Client) -> Order:
    client.get("/pos/")
    return Order.objects.get(pk=client.session["pos_order_id"])


def add(client: Client, order: Order, sku: str) -> Any:
    return client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku=sku).pk}/", HTTP_HX_REQUEST="true")


def tap(client: Client, line_pk: int, group: str, name: str) -> str:
    option = ModifierOption.objects.get(group=group, name=name)
    page = client.post(f"/pos/lines/{line_pk}/modifiers/", {"toggle": option.pk}, HTTP_HX_REQUEST="true")
    return page.content.decode()


def scan(client: Client, order: Order, member: Member) -> str:
    code = payment_code_issue(member=member).code
    return client.post(f"/pos/orders/{order.pk}/scan/", {"code": code}, HTTP_HX_REQUEST="true").content.decode()


# --- Modifiers and tiles ------------------------------------------------------------


def test_a_modifier_button_becomes_its_groups_choice_and_an_extra_taps_off(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    order = order_of(client)
    add(client, order, "latte")  # NT$120 + Medium 15 + whole milk
    line = order.lines.get()
    page = tap(client, line.pk, "Size", "Large")
    large = ModifierOption.objects.get(group="Size", name="Large")
    assert f'id="mod-{line.pk}-{large.pk}" class="pos-mod" aria-pressed="true"' in page
    tap(client, line.pk, "Milk", "Oat milk")
    tap(client, line.pk, "Extras", "Extra shot")
    order.refresh_from_db()
    assert order.total == 12_000 + 3_000 + 1_500 + 2_000
    assert sorted(line.modifiers.values_list("name", flat=True)) == ["Extra shot", "Large", "Oat milk"]
    tap(client, line.pk, "Extras", "Extra shot")  # again: the extra comes off
    tap(client, line.pk, "Size", "Large")  # again: a size stays chosen
    order.refresh_from_db()
    assert order.total == 12_000 + 3_000 + 1_500
    assert sorted(line.modifiers.values_list("name", flat=True)) == ["Large", "Oat milk"]


def test_tiles_show_the_price_with_the_default_size(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    page = client.get("/pos/").content.decode()
    latte = page[page.index('data-testid="product-latte"') :]
    assert latte[: latte.index("</button>")].endswith("<span>NT$135</span>")  # 120 + Medium 15
    croissant = page[page.index('data-testid="product-croissant"') :]
    assert croissant[: croissant.index("</button>")].endswith("<span>NT$80</span>")  # no options
    search = client.get("/pos/search/?q=latte", HTTP_HX_REQUEST="true").content.decode()
    assert "Latte<span>NT$135</span>" in search


# --- Tenders ---------------------------------------------------------------------------


def test_a_short_wallet_pays_what_it_holds_and_the_rest_by_card_in_one_tap(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="Short", email="short@example.com")
    wallet_top_up(member=member, amount=10_000, tender="cash", store=store)
    order = order_of(client)
    add(client, order, "latte")
    add(client, order, "flat-white")  # 135 + 145 = 280
    page = scan(client, order, member)
    assert 'data-testid="till-wallet-balance">NT$100<' in page  # the balance as soon as the member is scanned
    assert "Wallet NT$100 + NT$180 by card" in page and "Wallet NT$100 + NT$180 by cash" in page
    form = {"rest": "card", "key": "split-1", "wallet_part": "100.00"}
    client.post(f"/pos/orders/{order.pk}/pay/", form, HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", form, HTTP_HX_REQUEST="true")  # a double tap takes nothing more
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert [(t.kind, t.amount) for t in order.tenders.order_by("pk")] == [("wallet", 10_000), ("card", 18_000)]
    assert Account.objects.get(member=member).balance == 0


def test_a_split_whose_wallet_part_is_no_longer_there_takes_nothing(pos_till: tuple[Client, Store]) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="Gone", email="gone@example.com")
    wallet_top_up(member=member, amount=10_000, tender="cash", store=store)
    order = order_of(client)
    add(client, order, "mocha")
    scan(client, order, member)
    form = {"rest": "cash", "key": "split-2", "wallet_part": "150.00", "cash_received": "100"}
    page = client.post(f"/pos/orders/{order.pk}/pay/", form, HTTP_HX_REQUEST="true").content.decode()
    assert "Not enough in the wallet" in page
    assert not order.tenders.exists()


def test_a_split_whose_wallet_part_waits_for_the_member_takes_the_rest_only_after(
    pos_till: tuple[Client, Store],
) -> None:
    client, store = pos_till
    member = MemberFactory.create(display_name="Big", email="big@example.com")
    wallet_top_up(member=member, amount=60_000, tender="cash", store=store)  # NT$600: above the NT$500 limit
    order = order_of(client)
    add(client, order, "latte")
    line = order.lines.get()
    client.post(f"/pos/lines/{line.pk}/quantity/", {"quantity": "5"}, HTTP_HX_REQUEST="true")  # NT$675
    scan(client, order, member)
    form = {"rest": "card", "key": "split-3", "wallet_part": "600.00"}
    page = client.post(f"/pos/orders/{order.pk}/pay/", form, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="waiting"' in page
    assert [t.kind for t in order.tenders.all()] == ["wallet"]  # no card taken while the member decides
    confirm_payment(payment_id=Payment.objects.get().pk, member=member, approve=False)
    client.get(f"/pos/orders/{order.pk}/status/", HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and Account.objects.get(member=member).balance == 60_000


def test_the_points_button_says_how_many_points_and_what_they_cover_then_spends_that(
    pos_till: tuple[Client, Store],
) -> None:
    client, _ = pos_till
    member = MemberFactory.create(display_name="Pts", email="pts@example.com")
    points_earn(member=member, points=40, source="test", reference="t")
    order = order_of(client)
    add(client, order, "croissant")  # NT$80; a point is worth NT$1
    page = scan(client, order, member)
    assert "Use 40 points for NT$40" in page
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "points", "key": "p"}, HTTP_HX_REQUEST="true")
    member.refresh_from_db()
    order.refresh_from_db()
    assert member.points_balance == 0
    assert [(t.kind, t.amount, t.points_used) for t in order.tenders.all()] == [("points", 4_000, 40)]


# --- Refunds -----------------------------------------------------------------------


def paid_by_cash(client: Client, *skus: str) -> Order:
    order = order_of(client)
    for sku in skus:
        add(client, order, sku)
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "cash", "key": f"cash-{order.pk}"}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def test_a_refund_is_confirmed_with_its_items_and_the_cash_to_hand_back_then_the_till_returns(
    pos_till: tuple[Client, Store],
) -> None:
    client, _ = pos_till
    order = paid_by_cash(client, "croissant", "latte")
    croissant = order.lines.get(product__sku="croissant")
    review = client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{croissant.pk}": "1", "reason": "stale"})
    page = review.content.decode()
    assert "1 × Croissant" in page and 'data-testid="refund-back-cash"' in page
    assert re.search(r"Hand back in cash</th><td class=\"amount\">NT\$80<", page)
    order.refresh_from_db()
    assert order.refunded_amount == 0  # reviewing refunds nothing
    done = client.post(f"/pos/orders/{order.pk}/refund/", {f"qty-{croissant.pk}": "1", "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == "/pos/"
    order.refresh_from_db()
    assert order.refunded_amount == 8_000 and order.status == Order.Status.PAID
    assert "Hand back NT$80 cash" in client.get("/pos/").content.decode()


def test_nothing_ticked_refunds_nothing(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    order = paid_by_cash(client, "croissant")
    page = client.post(f"/pos/orders/{order.pk}/refund/", {"confirm": "1", "reason": "oops"}).content.decode()
    assert "Tick what to refund: nothing was refunded." in page
    order.refresh_from_db()
    assert order.refunded_amount == 0 and order.status == Order.Status.PAID


# --- Shifts ---------------------------------------------------------------------------


def test_a_barista_sees_that_a_shift_manager_closes_the_shift(
    pos_till: tuple[Client, Store], shift_manager_user: Any
) -> None:
    client, store = pos_till
    shift_open(store=store, user=shift_manager_user, opening_float=10_000)
    page = client.get("/pos/shift/").content.decode()
    assert "A shift manager closes the shift." in page
    assert 'data-testid="counted"' not in page  # no count to type


def test_the_z_report_shows_over_or_short_and_who_closed_when(
    pos_till: tuple[Client, Store], shift_manager_user: Any
) -> None:
    _, store = pos_till
    manager = Client()
    manager.force_login(shift_manager_user)
    shift_open(store=store, user=shift_manager_user, opening_float=10_000)
    closed = manager.post("/pos/shift/", {"action": "close", "amount": "95"})
    shift = Shift.objects.get()
    assert closed.status_code == 302 and closed["Location"] == f"/pos/shift/{shift.pk}/z/"
    page = manager.get(closed["Location"]).content.decode()
    assert re.search(r'data-testid="z-over-short"><th>Short</th><td><strong>−NT\$5</strong>', page)
    assert shift.closed_at is not None
    assert 'data-testid="z-closed"' in page and shift_manager_user.email in page


# --- Enrolment -------------------------------------------------------------------------


def test_a_new_member_enrolled_at_the_till_is_on_the_order_and_gets_the_verification_link(
    pos_till: tuple[Client, Store],
) -> None:
    client, _ = pos_till
    order = order_of(client)
    add(client, order, "latte")
    page = client.post(
        f"/pos/orders/{order.pk}/enrol/", {"email": "New@Example.com", "name": "Ning"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    member = Member.objects.get(email="new@example.com")
    order.refresh_from_db()
    assert order.member == member and not order.member_proven  # earns on this order; spends only with the code
    assert "Welcome, Ning" in page and 'data-testid="till-member"' in page
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", str(mail.outbox[0].body))
    assert link is not None
    phone = Client()
    assert phone.get(link.group(1)).status_code == 200
    phone.post(link.group(1))
    assert EmailAddress.objects.get(email="new@example.com").verified


def test_enrolling_an_existing_email_is_refused_and_keeps_what_was_typed(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    MemberFactory.create(display_name="Old", email="old@example.com")
    order = order_of(client)
    page = client.post(
        f"/pos/orders/{order.pk}/enrol/", {"email": "old@example.com", "name": "Again"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "old@example.com is already a member." in page
    assert 'value="Again"' in page
    order.refresh_from_db()
    assert order.member is None and mail.outbox == []


# --- Staff sign-in ------------------------------------------------------------------


def test_staff_sign_in_is_its_own_page_without_sign_up_or_remember_me(client: Client, barista_user: Any) -> None:
    Store.objects.create(name="Da'an", slug="daan")
    away = client.get("/pos/")
    assert away["Location"] == "/pos/login/?next=/pos/"
    page = client.get(away["Location"]).content.decode()
    assert "signup" not in page and 'name="remember"' not in page
    first = client.post("/pos/login/?next=/pos/", {"login": barista_user.email, "password": PASSWORD})
    assert "/accounts/2fa/authenticate" in first["Location"]
    second_step = client.get(first["Location"]).content.decode()
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", second_step)
    assert field is not None and "autofocus" in field.group(0) and 'inputmode="numeric"' in field.group(0)
    done = client.post(first["Location"], {"code": totp_code()})
    assert done.status_code == 302
    assert client.get("/pos/").status_code == 200
    assert client.session.get_expire_at_browser_close()  # a shared till forgets the session on close
