"""Money controls: staff sessions on shared tills end after 15 minutes without
a request and 12 hours after sign-in; members keep the normal session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.models import Store
from tests.controls import frozen_clock

pytestmark = pytest.mark.django_db

clock = frozen_clock.clock  # the fixture: time.time() moved on by hand


def signed_in(user: Any) -> Client:
    device = Client()
    device.force_login(user)
    return device


def test_a_barista_idle_for_16_minutes_is_sent_to_the_login_page(barista_user: Any, clock: Any) -> None:
    Store.objects.create(name="Da'an", slug="daan")
    till = signed_in(barista_user)
    assert till.get("/pos/").status_code == 200
    clock(14 * 60)
    assert till.get("/pos/").status_code == 200  # within 15 minutes: still signed in
    clock(16 * 60)
    away = till.get("/pos/")
    assert away.status_code == 302 and away["Location"] == "/pos/login/?next=/pos/"
    assert "signed out after 15 minutes without activity" in till.get(away["Location"]).content.decode()
    assert till.get("/pos/")["Location"].startswith("/pos/login/")  # the session is gone, not just hidden


def test_an_htmx_tap_after_the_idle_limit_sends_the_whole_till_to_login(barista_user: Any, clock: Any) -> None:
    Store.objects.create(name="Da'an", slug="daan")
    till = signed_in(barista_user)
    till.get("/pos/")
    clock(16 * 60)
    tap = till.post("/pos/new/", HTTP_HX_REQUEST="true")
    assert tap.status_code == 204 and tap["HX-Redirect"] == "/pos/login/"


def test_a_busy_barista_is_still_signed_out_after_12_hours(barista_user: Any, clock: Any) -> None:
    Store.objects.create(name="Da'an", slug="daan")
    till = signed_in(barista_user)
    for _ in range(72):  # a request every 10 minutes, the last at 11 h 50 min
        assert till.get("/pos/").status_code == 200
        clock(10 * 60)
    clock(60)  # 12 h 1 min after signing in, 11 minutes after the last request
    away = till.get("/pos/")
    assert away["Location"].startswith("/pos/login/")
    assert "Staff sessions last at most 12 hours" in till.get(away["Location"]).content.decode()


def test_a_member_idle_for_16_minutes_or_a_day_keeps_the_session(member_user: Any, member: Member, clock: Any) -> None:
    device = signed_in(member_user)
    assert device.get("/wallet/").status_code == 200
    clock(16 * 60)
    assert device.get("/wallet/").status_code == 200
    clock(24 * 60 * 60)
    assert device.get("/wallet/").status_code == 200


def test_a_staff_session_on_the_member_api_answers_401_after_the_idle_limit(barista_user: Any, clock: Any) -> None:
    device = signed_in(barista_user)
    assert device.get("/api/v1/me").status_code == 200
    clock(16 * 60)
    gone = device.get("/api/v1/me")
    assert gone.status_code == 401 and gone.json()["code"] == "not_authenticated"
