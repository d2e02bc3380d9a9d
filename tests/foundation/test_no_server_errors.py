"""Every portal, offers and till page answers bad input with a page or a
refusal, never a server error: each URL is tried as a guest, a member and a
barista, with real, missing and out-of-range ids in the path, and with junk in
every form field the views read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, Product, Store, StoreStaff
from payments.services.codes import payment_code_issue
from payments.services.top_ups import wallet_top_up

pytestmark = pytest.mark.django_db

# Each field a portal or till view reads from a form or the query string.
FIELDS = [
    "action", "amount", "approver_email", "approver_password", "card", "cash_received", "code", "decision",
    "key", "kind", "note", "quantity", "reason", "tender", "modifier", "token", "month", "page", "part", "q",
    "display_name", "phone", "birthday", "preferred_language", "daily_limit", "no_confirmation_limit",
    "rating", "comment", "name", "email",
]  # fmt: skip
JUNK = [
    "",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "12.345",
    "１２３",
    "abc",
    "<script>alert(1)</script>",
    "x" * 5_000,
    "2026-02-30",
    "nul\x00byte",
]
# Paths are tried with these in place of each <int:...> part; the first is
# replaced by a real row's id, the last is larger than any database integer.
INT_IDS = ["REAL", "987654321", "99999999999999999999999"]
STR_PARTS = ["x", "%27%20OR%201%3D1", "a" * 300, "nul%00byte"]
PREFIXES = ("/me/", "/offers/", "/wallet/", "/pay/", "/pos/")
GUEST_REDIRECTS = ("/accounts/login/?next=", "/accounts/signup/", "/pos/login/?next=")
# The staff sign-in page is for guests, and so are the till's service worker
# and manifest: the browser fetches them on its own (a manifest without cookies).
GUEST_PAGES = ("/pos/login/", "/pos/sw.js", "/pos/manifest.webmanifest")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$")


def page_routes() -> list[str]:
    routes = sorted({r for r in _walk(get_resolver().url_patterns) if r.startswith(PREFIXES)})
    assert len(routes) > 25, routes  # the walk really found the apps' pages
    return routes


def expand(route: str, real_ids: dict[str, int]) -> list[str]:
    """Concrete paths for a route: every int part gets each of INT_IDS in turn
    (others keep their real id) and every str part each of STR_PARTS."""
    parts = re.findall(r"<(int|str):(\w+)>", route)

    def fill(choice: dict[str, str]) -> str:
        return re.sub(r"<(?:int|str):(\w+)>", lambda m: choice[m.group(1)], route)

    base = {name: str(real_ids.get(name, 1)) if kind == "int" else "x" for kind, name in parts}
    paths = {fill(base)}
    for kind, name in parts:
        for value in INT_IDS if kind == "int" else STR_PARTS:
            paths.add(fill({**base, name: str(real_ids.get(name, 1)) if value == "REAL" else value}))
    return sorted(paths)


@pytest.fixture
def world(client: Client, member_user: Any, barista_user: Any) -> dict[str, Any]:
    load_menu_demo()
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    member = member_user.member
    wallet_top_up(member=member, amount=50_000, tender="cash")
    # A paid till order, so receipt, refund and line pages have a real row.
    barista = Client()
    barista.force_login(barista_user)
    barista.get("/pos/")
    order = Order.objects.get(pk=barista.session["pos_order_id"])
    latte = Product.objects.get(sku="latte")
    barista.post(f"/pos/orders/{order.pk}/add/{latte.pk}/", HTTP_HX_REQUEST="true")
    code = payment_code_issue(member=member).code
    barista.post(f"/pos/orders/{order.pk}/scan/", {"code": code}, HTTP_HX_REQUEST="true")
    line = order.lines.get()
    real_ids = {"order_id": order.pk, "product_id": latte.pk, "line_id": line.pk, "payment_id": 1, "shift_id": 1}
    guest = Client()
    member_client = Client()
    member_client.force_login(member_user)
    return {"clients": {"guest": guest, "member": member_client, "barista": barista}, "ids": real_ids}


def on_both_databases(values: list[str]) -> list[Any]:
    """Each value once for the SQLite run and once for the PostgreSQL run:
    PostgreSQL refuses some input SQLite takes (NUL bytes, integers past
    2**31), and production runs on PostgreSQL."""
    return [*values, *(pytest.param(v, marks=pytest.mark.postgres, id=f"{v}-pg") for v in values)]


# What PostgreSQL refuses and SQLite takes; the PostgreSQL pass tries only these.
POSTGRES_JUNK = ["nul\x00byte", "2147483648", "99999999999999999999999999", "x" * 5_000]


def junk_values() -> list[str]:
    return JUNK if connection.vendor == "sqlite" else POSTGRES_JUNK


def attempts(who: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, value, extra headers): every junk value in a form post, a few
    in the query string; the till's htmx requests only for the barista."""
    values = junk_values()
    for value in values:
        yield "post", value, {}
        if who == "barista":
            yield "post", value, {"HTTP_HX_REQUEST": "true"}
    for value in values[:4]:
        yield "get", value, {}


@pytest.mark.parametrize("route", on_both_databases(page_routes()))
def test_no_page_answers_a_server_error_to_bad_input(route: str, world: dict[str, Any]) -> None:
    for path in expand(route, world["ids"]):
        for who, client in world["clients"].items():
            for method, value, headers in attempts(who):
                # A server error in a view is re-raised by the test client;
                # the failure names the request.
                try:
                    response = getattr(client, method)(path, dict.fromkeys(FIELDS, value), **headers)
                except Exception as error:
                    raise AssertionError(f"{who} {method.upper()} {path} with {value[:20]!r}") from error
                assert response.status_code < 500, (who, method, path, value[:20])
                if who == "guest" and path not in GUEST_PAGES:
                    # No page here is for guests, whatever the input: they are
                    # sent to sign in (or, from an invitation link, to sign up);
                    # Django answers 400 instead of a redirect longer than it sends.
                    assert response.status_code in (302, 400), (method, path, value[:20], response.status_code)
                    if response.status_code == 302:
                        assert response["Location"].startswith(GUEST_REDIRECTS), (method, path, response["Location"])


# --- The back office ---------------------------------------------------------------

# 2147483648 is one past PostgreSQL's integer; SQLite (these tests) would take
# it, so forms must bound numbers themselves. Larger numbers are left out here:
# Django's own many-to-many fields overflow SQLite with them.
ADMIN_JUNK = ["", "-1", "2147483648", "abc", "x" * 5_000, "nul\x00byte"]
OUR_APPS = ("members", "payments", "campaigns")


def admin_models() -> list[str]:
    from django.contrib import admin

    labels = sorted(m._meta.label_lower for m in admin.site._registry if m._meta.app_label in OUR_APPS)
    assert len(labels) > 15, labels
    return labels


@pytest.mark.parametrize("label", on_both_databases(admin_models()))
def test_no_admin_page_answers_a_server_error_to_bad_input(
    label: str, world: dict[str, Any], manager_user: Any
) -> None:
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    manager = Client()
    manager.force_login(manager_user)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    real = model.objects.order_by("pk").values_list("pk", flat=True).first()
    field_names = [f.name for f in model._meta.get_fields()] + FIELDS + ["apply", "points", "tier", "delta"]
    requests: list[tuple[str, str, dict[str, Any]]] = []
    for value in ADMIN_JUNK:
        junk = dict.fromkeys(field_names, value)
        requests += [
            ("get", base, {"q": value, "o": value, "p": value}),
            ("post", f"{base}add/", junk),
        ]
        if real is not None:
            requests.append(("post", f"{base}{real}/change/", junk))
        for action in model_admin.get_actions(_request_for(manager_user)):
            # Selected ids stay numbers: Django's own action handling assumes
            # the checkboxes it rendered.
            selected = [real or 1, 987654321]
            requests.append(("post", base, {**junk, "action": action, "_selected_action": selected}))
    for object_id in [real, 987654321, "abc"]:
        if object_id is not None:
            requests.append(("get", f"{base}{object_id}/change/", {}))
    requests.append(("get", f"{base}add/", {}))
    for method, path, data in requests:
        try:
            response = getattr(manager, method)(path, data)
        except Exception as error:
            raise AssertionError(f"{method.upper()} {path} with {str(data)[:80]}") from error
        assert response.status_code < 500, (method, path)


def _request_for(user: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
