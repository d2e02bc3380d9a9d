"""Paying offline in the admin (issue 18): certificates, offline sales and
the programme's keys, read-only, for managers; each changelist answers in
a pinned number of queries however many rows it lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from payments.models import OfflineCertificate, OfflineProgrammeKey, OfflineSale
from tests.offline.conftest import Phone, sale

CERTIFICATES = "/admin/payments/offlinecertificate/"
SALES = "/admin/payments/offlinesale/"
KEYS = "/admin/payments/offlineprogrammekey/"
SYNC = "/api/v1/offline/sales"

# The session, user, MFA and permissions, the side bar's checks, then the
# page's own: the rows (with their member, hold, store and order joined, or
# the keys' counts as subqueries) and the date hierarchy or filters.
PAGE_QUERIES = {CERTIFICATES: 13, SALES: 14, KEYS: 11}


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


def offline_history(api: APIClient, make_member: Callable[..., Any], phone_for: Any, members: int) -> None:
    """`members` members with paying offline on, each paying one code at sync,
    a refused sale per member, and the first member's code used twice (a loss)."""
    for i in range(members):
        phone: Phone = phone_for(make_member(f"Lin {i}", balance=50_000), allowance=10_000)
        code = phone.code()
        tender = {"kind": "offline_wallet", "amount": 8_000, "code": code}
        lines = [{"sku": "latte", "quantity": 1, "unit_price": 8_000}]
        bad = [{"sku": "retired-blend", "quantity": 1, "unit_price": 9_000}]
        sales = [sale(lines=lines, tenders=[tender]), sale(lines=bad)]
        if i == 0:
            sales.append(sale(lines=lines, tenders=[tender]))  # the same code again: 2 000 lost
        api.post(SYNC, {"sales": sales}, format="json")


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_managers_see_certificates_sales_and_keys_read_only(
    manager_client: Client, api: APIClient, make_member: Callable[..., Any], phone_for: Any
) -> None:
    offline_history(api, make_member, phone_for, members=2)
    lossy = OfflineCertificate.objects.get(lost__gt=0)
    assert (lossy.spent, lossy.lost, lossy.status) == (10_000, 6_000, "revoked")

    page = manager_client.get(CERTIFICATES).content.decode()
    assert "Lin 0" in page and "Lin 1" in page
    assert "NT$100" in page and "NT$60" in page and "offline code used twice" in page
    assert "Add offline certificate" not in page  # read-only
    with_loss = manager_client.get(CERTIFICATES + "?loss=yes").content.decode()
    assert "Lin 0" in with_loss and "Lin 1" not in with_loss
    assert manager_client.get(CERTIFICATES + "?q=" + lossy.member.card_number).content.decode().count("Lin ") == 1
    detail = manager_client.get(f"{CERTIFICATES}{lossy.pk}/change/").content.decode()
    # Counter 1 twice: the second use, a copy, was mostly the programme's loss.
    assert "#1: NT$80, NT$80 from the hold, NT$0 lost" in detail
    assert "#1: NT$80, NT$20 from the hold, NT$60 lost" in detail
    assert "Save" not in detail

    sales = manager_client.get(SALES + "?status=refused").content.decode()
    assert sales.count("No product has the SKU retired-blend.") == 2
    assert OfflineSale.objects.filter(status="created").count() == 3
    refused = OfflineSale.objects.filter(status="refused").first()
    assert refused is not None and refused.key in manager_client.get(SALES + "?q=" + refused.key).content.decode()

    key = OfflineProgrammeKey.objects.get()
    keys = manager_client.get(KEYS).content.decode()
    assert key.kid in keys
    assert manager_client.post(f"{KEYS}{key.pk}/delete/").status_code == 403


def test_a_barista_cannot_open_them(client: Client, barista_user: Any) -> None:
    client.force_login(barista_user)
    for url in (CERTIFICATES, SALES, KEYS):
        assert client.get(url).status_code in (302, 403), url


@pytest.mark.parametrize("url", [CERTIFICATES, SALES, KEYS])
def test_each_changelist_makes_a_pinned_number_of_queries_however_many_rows(
    url: str, manager_client: Client, api: APIClient, make_member: Callable[..., Any], phone_for: Any
) -> None:
    offline_history(api, make_member, phone_for, members=1)
    manager_client.get(url)  # the session's first read
    few = queries_for(manager_client, url)
    offline_history(api, make_member, phone_for, members=4)
    assert queries_for(manager_client, url) == few <= PAGE_QUERIES[url]
