"""Every portal, till and admin page, in English, 繁體 and 简体, has no serious
or critical WCAG 2.2 AA violation that axe-core finds (issue #15).

One browser, one test per role and language, the pages visited in a loop: the
demo data (load_demo) plus a till sale waiting for the member's approval, a
paid till order with modifiers and a closed shift, so each page shows what it
shows in use rather than an empty state."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from members.models import Member, Notice
from payments.models import Order, Payment, Product, Shift, Store, Tender
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders.cart import (
    order_add_product,
    order_attach_member,
    order_attach_member_by_code,
    order_open,
)
from payments.services.orders.tenders import order_add_tender
from payments.services.shifts import shift_close, shift_open
from payments.services.top_ups import wallet_top_up
from tests.browser.axe import axe_violations, describe, htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hant", "zh-hans"]
MEMBER = "member@demo.cafe"
BARISTA = "barista@demo.cafe"
SHIFT_MANAGER = "shift@demo.cafe"
MANAGER = "manager@demo.cafe"


def demo_world() -> dict[str, Any]:
    """load_demo's stores, staff, member, menu and campaigns, and the rows the
    remaining pages need; returns the ids the page lists use."""
    with override_settings(DEBUG=True):  # load_demo refuses to run without it
        call_command("load_demo", stdout=io.StringIO())
    users = get_user_model().objects
    store = Store.objects.get(slug="daan")
    member = Member.objects.get(user__email=MEMBER)
    barista, shift_manager = users.get(email=BARISTA), users.get(email=SHIFT_MANAGER)
    latte = Product.objects.get(sku="latte")

    closed = shift_open(store=store, user=shift_manager, opening_float=100_000)
    shift_close(shift=closed, counted_cash=100_000, user=shift_manager)
    shift_open(store=store, user=shift_manager, opening_float=100_000)

    paid = order_open(store=store, barista=barista)
    order_add_product(order=paid, product=latte, modifier_ids=[])
    order_attach_member(order=paid, member=member)
    order_add_tender(order=paid, kind="cash", idempotency_key=uuid.uuid4().hex, actor=barista, cash_received=50_000)

    # A sale above the member's no-confirmation limit waits for their approval.
    wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
    waiting = order_open(store=store, barista=barista)
    for _ in range(6):
        order_add_product(order=waiting, product=latte)
    order_attach_member_by_code(order=waiting, code_hash=hash_payment_code(payment_code_issue(member=member).code))
    order_add_tender(order=waiting, kind="wallet", idempotency_key=uuid.uuid4().hex, actor=barista)
    payment = Tender.objects.get(order=waiting).payment
    assert payment is not None and payment.status == Payment.Status.REQUIRES_CONFIRMATION

    return {
        "member": member,
        "paid": Order.objects.get(pk=paid.pk),
        "payment": payment,
        "closed_shift": Shift.objects.get(pk=closed.pk),
        "notice": Notice.objects.filter(member=member).order_by("-pk").first(),
    }


def portal_paths(world: dict[str, Any]) -> list[str]:
    order, notice = world["paid"], world["notice"]
    assert notice is not None
    return [
        "/",
        "/pay/",
        "/wallet/",
        "/wallet/top-up/",
        "/wallet/limits/",
        "/wallet/lost-phone/",
        f"/wallet/confirm/{world['payment'].pk}/",
        f"/wallet/receipts/{order.pk}/",
        "/offers/",
        f"/offers/feedback/order:{order.pk}/",
        "/me/",
        "/me/consent/",
        "/me/points/",
        "/me/inbox/",
        f"/me/inbox/{notice.pk}/",
        "/me/privacy/",
        "/more/",
        "/privacy-policy/",
        # Order ahead (the order page itself: tests/browser/test_order_ahead.py,
        # since the demo stores may be closed when this runs).
        "/order/",
        "/order/daan/",
        f"/order/daan/items/{Product.objects.get(sku='latte').pk}/",
        "/order/daan/cart/",
        "/orders/",
    ]


def visitor_paths(world: dict[str, Any]) -> list[str]:
    return [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/privacy-policy/",
        "/pos/login/",
    ]


def till_paths(world: dict[str, Any]) -> list[str]:
    order = world["paid"]
    return [
        "/pos/",
        "/pos/orders/",
        f"/pos/orders/{order.pk}/receipt/",
        f"/pos/orders/{order.pk}/refund/",
        "/pos/top-up/",
        "/pos/cash-out/",
        "/pos/shift/",
        f"/pos/shift/{world['closed_shift'].pk}/z/",
        "/pos/ahead/",
        "/pos/ahead/sold-out/",
    ]


def admin_pages(*, forms: bool) -> Any:
    """For every model the manager may see: its list (with the front page and
    the retention report), or its add form (where adding is allowed) and its
    first row. The app index pages are the front page's template with fewer
    rows, so they are left out. Two halves, so two workers share the admin."""

    def paths_for(world: dict[str, Any]) -> list[str]:
        request = RequestFactory().get("/admin/")
        request.user = get_user_model().objects.get(email=MANAGER)
        paths = [] if forms else ["/admin/", reverse("admin:campaigns_membersegment_retention")]
        for model, model_admin in admin.site._registry.items():
            if not model_admin.has_view_permission(request):
                continue
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            if not forms:
                paths.append(reverse(f"{name}_changelist"))
                continue
            if model_admin.has_add_permission(request):
                paths.append(reverse(f"{name}_add"))
            first = model_admin.get_queryset(request).order_by("pk").first()
            if first is not None:
                paths.append(reverse(f"{name}_change", args=[first.pk]))
        return paths

    return paths_for


ROLES = {
    "visitor": (None, visitor_paths),
    "member": (MEMBER, portal_paths),
    "barista": (BARISTA, till_paths),
    "manager-lists": (MANAGER, admin_pages(forms=False)),
    "manager-forms": (MANAGER, admin_pages(forms=True)),
}


def signed_in(page: Any, base: str, email: str | None, language: str) -> None:
    """The user's session and language as cookies (signing in by hand is
    tested elsewhere; here every page counts, not the way in)."""
    cookies = [{"name": "django_language", "value": language, "url": base}]
    if email is not None:
        device = Client()
        device.force_login(get_user_model().objects.get(email=email))
        cookies.append({"name": "sessionid", "value": device.cookies["sessionid"].value, "url": base})
    page.context.add_cookies(cookies)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_has_no_serious_wcag_violation(page: Any, live_server: Any, role: str, language: str) -> None:
    world = demo_world()
    email, paths_for = ROLES[role]
    paths = paths_for(world)
    signed_in(page, live_server.url, email, language)
    if role != "member" and role != "visitor":
        page.set_viewport_size({"width": 1280, "height": 800})
    found = []
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert page.evaluate("() => document.documentElement.lang") == language, path
        htmx_settled(page)
        violations = axe_violations(page)
        if violations:
            found.append(describe(path, violations))
    assert not found, f"{len(found)} of {len(paths)} pages fail WCAG 2.2 AA:\n" + "\n".join(found)
