"""Money controls: what people type at the edges — exponents, NaN, signs,
zero, absurd sums, impossible months, spreadsheet formulas — is refused with a
message (never a 500) and moves nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from cafe_loyalty.core.money import parse_money
from cafe_loyalty.core.spreadsheets import csv_cell, csv_cell_read
from members.models import Member
from members.selectors import points_problems
from members.services import member_create
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import (
    Account,
    CashMovement,
    CashOut,
    Category,
    Order,
    Product,
    Shift,
    Store,
    StoreStaff,
    Tender,
    TopUp,
)
from payments.selectors.ledger import ledger_problems
from payments.services.codes import payment_code_issue
from payments.services.shifts import shift_open
from payments.services.top_ups import wallet_top_up
from tests.conftest import add_totp, approver_login, make_user

pytestmark = pytest.mark.django_db


def assert_books_hold() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


# --- parse_money: plain non-negative decimals only -------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("120", 12_000), ("120.5", 12_050), ("120.50", 12_050), ("1,200.00", 120_000), ("NT$120", 12_000), (" 7 ", 700)],
)
def test_parse_money_reads_what_people_type(typed: str, minor: int) -> None:
    assert parse_money(typed) == minor


@pytest.mark.parametrize(
    "typed",
    [
        "1e3",
        "1E3",
        "1e-2",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "-5",
        "+5",
        "−5",
        "1 000",
        "12 .50",
        "1\t000",
        "1.001",
        "1,1,0,0",
        "1,0000",
        "120.",
        ".5",
        "0x10",
        "1_000",
        "１２０",
        "",
        " ",
        "9999999999999",
    ],
)
def test_parse_money_refuses_anything_but_a_plain_amount(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_money(typed)


def test_parse_money_allows_no_more_decimals_than_the_currency_has(settings: Settings) -> None:
    settings.CAFE_CURRENCY = "JPY"
    assert parse_money("1,200") == 1_200
    with pytest.raises(ValueError):
        parse_money("120.5")


# --- The till ---------------------------------------------------------------------------------------


@pytest.fixture
def member(db: Any) -> Member:
    member = member_create(user=None, display_name="Wen", email="wen@example.com")
    wallet_top_up(member=member, amount=100_000, tender="cash")
    return member


def open_order(client: Client) -> Order:
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku='latte').pk}/", HTTP_HX_REQUEST="true")
    return order


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("cash_received", "0", "Enter an amount above zero"),
        ("cash_received", "0.00", "Enter an amount above zero"),
        ("cash_received", "-500", "Enter the cash as an amount"),
        ("cash_received", "1e3", "Enter the cash as an amount"),
        ("cash_received", "NaN", "Enter the cash as an amount"),
        ("amount", "0", "Enter an amount above zero"),
        ("amount", "-100", "Enter the cash as an amount"),
        ("amount", "Infinity", "Enter the cash as an amount"),
    ],
)
def test_a_till_amount_of_zero_or_less_pays_nothing(
    pos_till: tuple[Client, Store], field: str, typed: str, says: str
) -> None:
    """Before, cash received of 0 marked the order paid in cash with nothing in the drawer."""
    client, _store = pos_till
    order = open_order(client)
    page = client.post(
        f"/pos/orders/{order.pk}/pay/", {"kind": "cash", "key": "k1", field: typed}, HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    assert says in page.content.decode()
    order.refresh_from_db()
    assert order.status == "open"
    assert not Tender.objects.exists()
    assert_books_hold()


def test_a_negative_part_payment_from_the_wallet_is_refused(pos_till: tuple[Client, Store], member: Member) -> None:
    client, _store = pos_till
    order = open_order(client)
    client.post(
        f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
    )
    page = client.post(
        f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": "w1", "amount": "-50"}, HTTP_HX_REQUEST="true"
    )
    assert "Enter the cash as an amount" in page.content.decode()
    assert Account.objects.get(member=member).balance == 100_000
    assert not Tender.objects.exists()
    assert_books_hold()


@pytest.mark.parametrize("typed", ["-500", "0", "1e5", "NaN", "99999999999999"])
def test_a_counter_top_up_of_nothing_negative_or_absurd_is_refused(
    pos_till: tuple[Client, Store], member: Member, typed: str
) -> None:
    client, _store = pos_till
    page = client.post("/pos/top-up/", {"card": member.card_number, "amount": typed, "tender": "cash", "key": typed})
    assert page.status_code == 200
    assert "Enter an amount and choose cash or card." in page.content.decode()
    assert TopUp.objects.filter(member=member).count() == 1  # the fixture's
    assert Account.objects.get(member=member).balance == 100_000
    assert_books_hold()


def test_a_negative_cash_out_is_refused_before_anyone_approves(
    pos_till: tuple[Client, Store], member: Member, shift_manager_user: Any
) -> None:
    client, store = pos_till
    shift_open(store=store, user=shift_manager_user, opening_float=100_000)
    page = client.post(
        "/pos/cash-out/",
        {
            "card": member.card_number,
            "amount": "-500",
            "reason": "leaving",
            "key": "c1",
            **approver_login(shift_manager_user),
        },
    )
    assert "Enter the amount as money" in page.content.decode()
    assert not CashOut.objects.exists()
    assert Account.objects.get(member=member).balance == 100_000
    assert_books_hold()


# --- The drawer: a cash movement keeps its sign, within what a drawer holds -------------------------


@pytest.fixture
def shift_manager(client: Client, shift_manager_user: Any) -> tuple[Client, Shift]:
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=shift_manager_user, store=store, role="Shift manager")
    client.force_login(shift_manager_user)
    return client, shift_open(store=store, user=shift_manager_user, opening_float=100_000)


@pytest.mark.parametrize(
    ("typed", "moved"), [("-500", -50_000), ("−500", -50_000), ("+200", 20_000), ("200.50", 20_050)]
)
def test_cash_in_and_out_of_the_drawer_keep_their_sign(
    shift_manager: tuple[Client, Shift], typed: str, moved: int
) -> None:
    client, shift = shift_manager
    client.post("/pos/shift/", {"action": "cash", "amount": typed, "reason": "milk run"})
    assert list(CashMovement.objects.values_list("amount", flat=True)) == [moved]
    assert_books_hold()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1e9", "Enter an amount like 1000, or -500 for cash out."),
        ("-1e9", "Enter an amount like 1000, or -500 for cash out."),
        ("--500", "Enter an amount like 1000, or -500 for cash out."),
        ("- 5 00", "Enter an amount like 1000, or -500 for cash out."),
        ("NaN", "Enter an amount like 1000, or -500 for cash out."),
        ("2000000", "NT$2,000,000 is more than a drawer holds (at most NT$1,000,000). Check the amount."),
        ("-2000000", "NT$2,000,000 is more than a drawer holds (at most NT$1,000,000). Check the amount."),
        ("999999999999", "is more than a drawer holds"),
    ],
)
def test_a_huge_or_garbled_cash_movement_is_refused(shift_manager: tuple[Client, Shift], typed: str, says: str) -> None:
    client, shift = shift_manager
    page = client.post("/pos/shift/", {"action": "cash", "amount": typed, "reason": "float"})
    assert page.status_code == 200
    assert says in page.content.decode()
    assert not CashMovement.objects.exists()
    assert_books_hold()


def test_a_float_or_count_beyond_a_drawer_is_refused(
    client: Client, shift_manager: tuple[Client, Shift], shift_manager_user: Any
) -> None:
    client, shift = shift_manager
    closed = client.post("/pos/shift/", {"action": "close", "amount": "5000000"})
    assert "is more than a drawer holds" in closed.content.decode()
    shift.refresh_from_db()
    assert shift.closed_at is None
    for typed in ("-100", "1e3"):
        assert (
            "Enter an amount like 1000."
            in client.post("/pos/shift/", {"action": "close", "amount": typed}).content.decode()
        )
    shift.refresh_from_db()
    assert shift.closed_at is None and shift.counted_cash is None
    shift.closed_at = shift.opened_at
    shift.save()
    opened = client.post("/pos/shift/", {"action": "open", "amount": "5000000"})
    assert "is more than a drawer holds" in opened.content.decode()
    assert Shift.objects.count() == 1
    assert_books_hold()


# --- The portal's wallet history by month -------------------------------------------------------------


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "2026-13", "2026-00", "20261", "abcd-ef", "２０２６-01"])
def test_an_impossible_month_is_a_form_error_not_a_server_error(member_client: Client, month: str) -> None:
    page = member_client.get("/wallet/", {"month": month})
    assert page.status_code == 200
    assert "Choose a month from the list." in page.content.decode()
    assert_books_hold()


def test_a_real_month_still_filters(member_client: Client) -> None:
    page = member_client.get("/wallet/", {"month": "2026-01"})
    assert page.status_code == 200
    assert "Choose a month from the list." not in page.content.decode()
    assert "Nothing in this month." in page.content.decode()


# --- The admin's menu CSV -------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","Latte")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTab", "\rCR"]


def export(client: Client) -> list[list[str]]:
    ids = list(Product.objects.values_list("pk", flat=True))
    response = client.post("/admin/payments/product/", {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_exported_cells_never_start_a_formula_and_read_back_as_they_were(client: Client, manager_user: Any) -> None:
    category = Category.objects.create(name="Coffee", slug="coffee")
    for number, name in enumerate(FORMULAS):
        Product.objects.create(category=category, name=name, sku=f"p{number}", price=12_000)
    client.force_login(manager_user)
    rows = export(client)
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert sorted(row[1] for row in rows[1:]) == sorted("'" + name for name in FORMULAS)
    assert {row[3] for row in rows[1:]} == {"120"}

    Product.objects.update(name="changed")
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    done = client.post(
        "/admin/payments/product/import-csv/", {"file": SimpleUploadedFile("m.csv", text.getvalue().encode())}
    )
    assert done.status_code == 302
    # Back as they were (the import trims the whitespace around names).
    assert sorted(Product.objects.values_list("name", flat=True)) == sorted(name.strip() for name in FORMULAS)


def test_csv_cells_round_trip() -> None:
    for text in ["plain", "'quoted", "", *FORMULAS]:
        assert csv_cell_read(csv_cell(text)) == text


def test_a_large_price_exports_as_digits_not_an_exponent(client: Client, manager_user: Any) -> None:
    """`f"{price / 100:g}"` wrote NT$1,000,000 as 1e+06, which no import reads back."""
    category = Category.objects.create(name="Beans", slug="beans")
    Product.objects.create(category=category, name="Beans by the tonne", sku="tonne", price=100_000_000)
    Product.objects.create(category=category, name="Half", sku="half", price=12_050)
    client.force_login(manager_user)
    assert {row[0]: row[3] for row in export(client)[1:]} == {"tonne": "1000000", "half": "120.50"}


@pytest.fixture
def menu_viewer(django_user_model: Any) -> Any:
    """Back-office staff who may look at the menu but not change it."""
    user = make_user(django_user_model, "viewer@example.com")
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_product"))
    add_totp(user)
    return user


def test_importing_the_menu_needs_change_permission_not_just_view(client: Client, menu_viewer: Any) -> None:
    load_menu_demo()
    client.force_login(menu_viewer)
    listing = client.get("/admin/payments/product/")
    assert listing.status_code == 200 and "import-csv" not in listing.content.decode()
    assert client.get("/admin/payments/product/import-csv/").status_code == 403
    upload = "sku,name,category,price\nlatte,Latte,coffee,1\n"
    refused = client.post("/admin/payments/product/import-csv/", {"file": SimpleUploadedFile("m.csv", upload.encode())})
    assert refused.status_code == 403
    assert Product.objects.get(sku="latte").price == 12_000
    menu_viewer.user_permissions.add(Permission.objects.get(codename="change_product"))
    assert client.get("/admin/payments/product/import-csv/").status_code == 403  # adding products too
    assert_books_hold()


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("latte,Latte,coffee,-120", "price '-120' is not an amount"),
        ("latte,Latte,coffee,1e3", "price '1e3' is not an amount"),
        ("latte,Latte,coffee,NaN", "price 'NaN' is not an amount"),
        ("latte," + "L" * 200 + ",coffee,120", "line 3: name"),
        ("bad sku!,Latte,coffee,120", "line 3: sku"),
        ("latte,Latte,coffee,120,Milk:Unicorn", "unknown modifier"),
    ],
)
def test_a_bad_menu_row_imports_nothing_and_says_why(client: Client, manager_user: Any, row: str, says: str) -> None:
    load_menu_demo()
    client.force_login(manager_user)
    upload = "sku,name,category,price,modifiers\nflat-white,Flat white,coffee,999," + "\n" + row + "\n"
    page = client.post("/admin/payments/product/import-csv/", {"file": SimpleUploadedFile("m.csv", upload.encode())})
    assert page.status_code == 200
    assert "Nothing imported" in page.content.decode() and says.replace("'", "&#x27;") in page.content.decode()
    assert Product.objects.get(sku="latte").price == 12_000
    assert Product.objects.get(sku="flat-white").price != 99_900
    assert_books_hold()
