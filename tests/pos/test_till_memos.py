"""The till's per-process memos (the role check's permissions, the barista's
store): a change in this process applies at once, a change the process was
not told of (another process's) within rulecache.SECONDS, and the role check
and the store's scoping still hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from cafe_loyalty.core import rulecache
from cafe_loyalty.core.roles import BARISTA
from payments.models import Order, Store, StoreStaff

pytestmark = pytest.mark.django_db


def till_status(client: Client) -> int:
    return client.get("/pos/orders/").status_code


def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memos' clock, moved past their lifetime."""
    now = rulecache.time.monotonic() + rulecache.SECONDS + 1
    monkeypatch.setattr(rulecache.time, "monotonic", lambda: now)


def test_a_barista_taken_off_the_role_is_refused_at_once(pos_till: tuple[Client, Store], barista_user: Any) -> None:
    client, _ = pos_till
    assert till_status(client) == 200  # the permission set enters the memo
    barista_user.groups.remove(Group.objects.get(name=BARISTA))
    assert till_status(client) == 403
    barista_user.groups.add(Group.objects.get(name=BARISTA))
    assert till_status(client) == 200


def test_a_role_losing_the_till_permission_is_refused_at_once(pos_till: tuple[Client, Store]) -> None:
    client, _ = pos_till
    assert till_status(client) == 200
    Group.objects.get(name=BARISTA).permissions.remove(Permission.objects.get(codename="use_pos"))
    assert till_status(client) == 403


def test_a_change_this_process_was_not_told_of_applies_within_the_memos_lifetime(
    pos_till: tuple[Client, Store], barista_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = pos_till
    assert till_status(client) == 200
    # As another process would: the rows go, and no signal reaches this one.
    barista_user.groups.through.objects.filter(user_id=barista_user.pk)._raw_delete("default")
    assert till_status(client) == 200  # still memoised: at most rulecache.SECONDS
    later(monkeypatch)
    assert till_status(client) == 403


def test_the_role_check_asks_no_query_once_memoised(
    pos_till: tuple[Client, Store], django_assert_num_queries: Any
) -> None:
    client, _ = pos_till
    assert till_status(client) == 200
    # The session, the user, the recent orders: no permissions, no staff row.
    with django_assert_num_queries(3):
        assert till_status(client) == 200


def test_a_barista_moved_to_another_store_reaches_only_its_orders_at_once(
    pos_till: tuple[Client, Store], barista_user: Any
) -> None:
    client, store = pos_till
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    status_url = f"/pos/orders/{order.pk}/status/"
    assert client.get(status_url).status_code == 200
    other = Store.objects.create(name="Xinyi", slug="xinyi")
    staff = StoreStaff.objects.get(user=barista_user)
    staff.store = other
    staff.save()
    assert client.get(status_url).status_code == 404


def test_a_store_change_this_process_was_not_told_of_applies_within_the_memos_lifetime(
    pos_till: tuple[Client, Store], barista_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, store = pos_till
    other = Store.objects.create(name="Xinyi", slug="xinyi")  # before: a store saved here forgets the memo
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    status_url = f"/pos/orders/{order.pk}/status/"
    StoreStaff.objects.filter(user=barista_user).update(store=other)  # no signal, as from another process
    assert client.get(status_url).status_code == 200
    later(monkeypatch)
    assert client.get(status_url).status_code == 404


def test_staff_whose_authenticator_is_removed_are_sent_to_set_one_up_at_once(
    pos_till: tuple[Client, Store], barista_user: Any
) -> None:
    from allauth.mfa.models import Authenticator

    client, _ = pos_till
    assert till_status(client) == 200  # "has MFA" enters the memo
    Authenticator.objects.filter(user=barista_user).delete()
    response = client.get("/pos/orders/")
    assert response.status_code == 302 and "totp" in response["Location"]


def test_a_member_given_a_role_must_set_up_mfa_at_once(client: Client, django_user_model: Any) -> None:
    from tests.conftest import make_user

    user = make_user(django_user_model, "new@example.com")
    client.force_login(user)
    assert client.get("/pos/orders/").status_code == 403  # no role: no till, and no MFA asked
    user.groups.add(Group.objects.get(name=BARISTA))
    response = client.get("/pos/orders/")
    assert response.status_code == 302 and "totp" in response["Location"]
