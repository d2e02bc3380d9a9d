"""Money controls: four eyes on cash-outs and large refunds, and an approval is
a real sign-in (password and second factor) by someone who may approve."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.test import Client

from members.models import Member
from members.services import member_create, member_get_or_create_for_user
from payments.exceptions import ApprovalRefused
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import CashOut, Order, Product, ProgrammeSettings, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.services.cash_out import wallet_cash_out
from payments.services.orders import order_add_product, order_add_tender, order_open, order_refund
from payments.services.staff import staff_invite
from payments.services.top_ups import wallet_top_up
from tests.conftest import PASSWORD, approver_login, make_user

pytestmark = pytest.mark.django_db

# The till's refund form, confirmed: the whole order (the approval tests are about who approves).
WHOLE = {"whole": "1", "confirm": "1"}


@pytest.fixture
def store(barista_user: Any) -> Store:
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    return store


@pytest.fixture
def large_order(store: Store, barista_user: Any, programme: Any) -> Order:
    """A card sale of NT$675, above the NT$500 refund threshold."""
    load_menu_demo()
    order = order_open(store=store, barista=barista_user)
    for _ in range(5):
        order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order_add_tender(order=order, kind="card", idempotency_key="card", actor=barista_user)
    order.refresh_from_db()
    assert order.total > ProgrammeSettings.current().refund_approval_threshold
    return order


@pytest.fixture
def programme(db: Any) -> ProgrammeSettings:
    return ProgrammeSettings.current()


def funded(email: str = "wen@example.com") -> Member:
    member = member_create(user=None, display_name="Wen", email=email)
    wallet_top_up(member=member, amount=100_000, tender="cash")
    return member


def test_the_person_at_the_till_cannot_approve_their_own_refund(large_order: Order, shift_manager_user: Any) -> None:
    with pytest.raises(ApprovalRefused, match="Someone other than the person at the till"):
        order_refund(order=large_order, actor=shift_manager_user, approved_by=shift_manager_user)
    large_order.refresh_from_db()
    assert large_order.refunded_amount == 0


def test_nobody_approves_anything_on_their_own_wallet(
    store: Store, barista_user: Any, manager_user: Any, django_user_model: Any
) -> None:
    own = member_get_or_create_for_user(user=manager_user)  # the manager is also a member
    wallet_top_up(member=own, amount=100_000, tender="cash")
    with pytest.raises(ApprovalRefused, match="own wallet"):
        wallet_cash_out(
            member=own, store=store, actor=barista_user, approved_by=manager_user, reason="leaving", amount=10_000
        )
    assert not CashOut.objects.exists() and ledger_problems() == []


def test_only_a_verified_staff_role_can_approve(
    store: Store, barista_user: Any, shift_manager_user: Any, django_user_model: Any
) -> None:
    member = funded()
    EmailAddress.objects.filter(user=shift_manager_user).update(verified=False)
    with pytest.raises(ApprovalRefused, match="not verified"):
        wallet_cash_out(member=member, store=store, actor=barista_user, approved_by=shift_manager_user, reason="x")
    # The permission given by hand, without a staff role, is not enough either.
    outsider = make_user(django_user_model, "outsider@example.com")
    outsider.user_permissions.add(Permission.objects.get(codename="approve_refund"))
    outsider = django_user_model.objects.get(pk=outsider.pk)
    with pytest.raises(ApprovalRefused, match="Only a shift manager or manager"):
        wallet_cash_out(member=member, store=store, actor=barista_user, approved_by=outsider, reason="x")
    assert not CashOut.objects.exists()


def test_a_password_alone_does_not_approve(
    client: Client, store: Store, barista_user: Any, large_order: Order, shift_manager_user: Any
) -> None:
    client.force_login(barista_user)
    refund = f"/pos/orders/{large_order.pk}/refund/"
    no_code = client.post(refund, {**WHOLE, "approver_email": shift_manager_user.email, "approver_password": PASSWORD})
    assert "authenticator code is wrong" in no_code.content.decode()
    wrong_code = {
        **WHOLE,
        "approver_email": shift_manager_user.email,
        "approver_password": PASSWORD,
        "approver_code": "000000",
    }
    assert "authenticator code is wrong" in client.post(refund, wrong_code).content.decode()
    large_order.refresh_from_db()
    assert large_order.refunded_amount == 0
    assert client.post(refund, {**WHOLE, **approver_login(shift_manager_user)}).status_code == 302
    large_order.refresh_from_db()
    assert large_order.status == Order.Status.REFUNDED


def test_an_approver_without_a_second_factor_cannot_approve(
    client: Client, store: Store, barista_user: Any, large_order: Order, shift_manager_user: Any
) -> None:
    Authenticator.objects.filter(user=shift_manager_user).delete()
    client.force_login(barista_user)
    page = client.post(f"/pos/orders/{large_order.pk}/refund/", {**WHOLE, **approver_login(shift_manager_user)})
    assert "must set up two-factor sign-in" in page.content.decode()


def test_guesses_count_per_approver_on_every_till(
    client: Client, store: Store, large_order: Order, shift_manager_user: Any, django_user_model: Any
) -> None:
    """Two tills (two barista logins) guessing one manager's password share one count."""
    from tests.conftest import make_staff

    second_barista = make_staff(django_user_model, "barista2@example.com", "Barista")
    StoreStaff.objects.create(user=second_barista, store=store, role="Barista")
    refund = f"/pos/orders/{large_order.pk}/refund/"
    for i, login in enumerate([large_order.barista, second_barista] * 3):
        client.force_login(login)
        guess = {**WHOLE, "approver_email": shift_manager_user.email, "approver_password": f"guess-{i}"}
        page = client.post(refund, guess).content.decode()
        if i < 5:
            assert "email or password is wrong" in page
    assert "Too many wrong tries for this approver" in page
    right = client.post(refund, {**WHOLE, **approver_login(shift_manager_user)}).content.decode()
    assert "Too many wrong tries for this approver" in right
    large_order.refresh_from_db()
    assert large_order.refunded_amount == 0


def test_inviting_staff_to_an_unverified_account_resets_it(
    client: Client, store: Store, barista_user: Any, large_order: Order, django_user_model: Any
) -> None:
    """Someone registered a colleague's address (never verified) and set up
    their own authenticator; making that address a shift manager must not hand
    them the role."""
    squatter = make_user(django_user_model, "lee@example.com", verified=False)
    from tests.conftest import add_totp

    add_totp(squatter)
    squatter_client = Client()
    squatter_client.force_login(squatter)
    staff_invite(store=store, email="lee@example.com", role="Shift manager")
    squatter.refresh_from_db()
    assert not squatter.has_usable_password()
    assert not Authenticator.objects.filter(user=squatter).exists()
    assert not EmailAddress.objects.filter(user=squatter, verified=True).exists()
    assert squatter_client.get("/pos/").status_code == 302  # signed out: to the login page
    client.force_login(barista_user)
    page = client.post(f"/pos/orders/{large_order.pk}/refund/", {**WHOLE, **approver_login(squatter)}).content.decode()
    assert "email or password is wrong" in page
    large_order.refresh_from_db()
    assert large_order.refunded_amount == 0
