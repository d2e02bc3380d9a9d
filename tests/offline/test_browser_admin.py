"""Paying offline in the admin, in Chromium (issue 18): a manager reads the
certificates (one with a loss), the offline sales (one refused) and the
programme's keys, on a desktop and a phone, with axe on every page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from payments.models import OfflineCertificate
from tests.browser.walk import Walk, type_authenticator_code
from tests.conftest import PASSWORD
from tests.offline.test_admin import CERTIFICATES, KEYS, SALES, offline_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_offline_records(
    page: Any, live_server: Any, manager_user: Any, api: APIClient, make_member: Callable[..., Any], phone_for: Any
) -> None:
    offline_history(api, make_member, phone_for, members=2)
    lossy = OfflineCertificate.objects.get(lost__gt=0)
    base = live_server.url
    walk = Walk(page, "admin-offline", "en")
    page.goto(base + "/admin/")
    page.locator("#id_login").fill(manager_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    type_authenticator_code(page)
    page.wait_for_url(base + "/admin/")

    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(base + CERTIFICATES + "?loss=yes")
        page.locator("#result_list").get_by_text(lossy.member.display_name).wait_for()
        assert page.locator("#result_list tbody tr").count() == 1
        walk.step(f"certificates with a loss {width}")
        page.goto(f"{base}{CERTIFICATES}{lossy.pk}/change/")
        page.get_by_text("offline code used twice").wait_for()
        assert page.locator("input[type=submit]").count() == 0  # nothing to save: read-only
        walk.step(f"certificate {width}")
        page.goto(base + SALES + "?status=refused")
        assert page.locator("#result_list tbody tr").count() == 2
        walk.step(f"refused offline sales {width}")
        page.goto(base + KEYS)
        assert page.locator("#result_list tbody tr").count() == 1
        walk.step(f"programme keys {width}")
    walk.clean()
