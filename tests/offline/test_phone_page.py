"""The Pay page's side of paying offline (issue 18): the set-up panel and the
service worker that keeps the page for when there is no network. The phone's
script itself is exercised in tests/browser/test_offline_phone.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from payments.views import portal_sw

pytestmark = pytest.mark.django_db


def worker_assets(client: Client) -> tuple[str, list[str]]:
    response = client.get("/pay/sw.js")
    assert response.status_code == 200
    text = response.content.decode()
    version = re.search(r'var VERSION = "([0-9a-f]{16})";', text)
    assets = re.search(r"var ASSETS = \[(.*)\];", text)
    assert version and assets, text
    return version.group(1), json.loads(f"[{assets.group(1)}]")  # escapejs writes "-" as \u002D


def test_the_pay_page_offers_paying_offline_with_what_its_script_needs(
    member_client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(12):
        page = member_client.get("/pay/").content.decode()
    panel = re.search(r'<section id="offline-pay".*?>', page, re.S)
    assert panel is not None
    for attribute in (
        'data-status-url="/pay/offline/"',
        'data-enable-url="/pay/offline/enable/"',
        'data-disable-url="/pay/offline/disable/"',
        'data-worker="/pay/sw.js"',
        'data-scope="/pay/"',
        'data-symbol="NT$"',
        'data-exponent="2"',
    ):
        assert attribute in panel.group(0)
    assert 'id="offline-code"' in page and 'data-testid="offline-code-text"' in page


def test_the_service_worker_keeps_every_static_file_the_pay_page_loads(member_client: Client) -> None:
    response = member_client.get("/pay/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    # The browser must see a new worker after a deploy, never an HTTP-cached one.
    assert response["Cache-Control"] == "no-cache"
    _version, assets = worker_assets(member_client)
    page = member_client.get("/pay/").content.decode()
    loaded = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    assert loaded and loaded <= set(assets), loaded - set(assets)
    # Members only, like every page here; it says nothing personal.
    assert Client().get("/pay/sw.js")["Location"].startswith("/accounts/login/")


def test_the_service_worker_version_changes_when_a_kept_file_changes(
    member_client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = member_client
    before, _assets = worker_assets(client)
    assert worker_assets(client)[0] == before  # stable while nothing changes
    changed = tmp_path / "pay.js"
    changed.write_text("// a deploy changed the Pay page's script\n")
    real_find = finders.find

    def find(path: str, **kwargs: Any) -> Any:
        return str(changed) if path == "js/pay.js" else real_find(path, **kwargs)

    monkeypatch.setattr(portal_sw.finders, "find", find)
    assert worker_assets(client)[0] != before
