"""Every word in the reader's language, in the admin too (issue #15): with the
demo data and the language set to 繁體中文 or 简体中文, no list's column header
or filter title, and no label of the main models' forms, is left in English.

An English word is three or more ASCII letters in a row; the allow-list holds
the few that are names or codes in any language."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from campaigns.models import Campaign, CouponTemplate
from members.models import Member
from payments.models import Product, Store

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hant", "zh-hans"]
MANAGER = "manager@demo.cafe"
# Codes and names read the same in Chinese: the currency, QR codes, the
# authenticator's TOTP, the API, stock-keeping units, the points' "RFM", customer lifetime value "CLV".
ALLOWED = {"NT$", "QR", "TOTP", "API", "SKU", "RFM", "URL", "CSV", "IBAN", "CLV"}
WORD = re.compile(r"(?<![A-Za-z$])[A-Za-z]{3,}\$?")
COLUMN = re.compile(r'<th scope="col"[^>]*>(.*?)</th>', re.S)
FILTER = re.compile(r'data-filter-title="([^"]*)"')
LABEL = re.compile(r"<label\b[^>]*>(.*?)</label>", re.S)
FIELDSET = re.compile(r"<h2[^>]*fieldset-heading[^>]*>(.*?)</h2>", re.S)
HELP = re.compile(r'<div class="help"[^>]*>(.*?)</div>', re.S)
INLINE = re.compile(r'<h2 id="[^"]*-heading" class="inline-heading">(.*?)</h2>', re.S)
TAG = re.compile(r"<[^>]+>")
# A translated field's label ends in its language's code ("名稱 [zh-hant]").
LANGUAGE_CODE = re.compile(r"\[[a-z]{2}(-[a-z]+)?\]")


def english_words(fragment: str) -> list[str]:
    text = LANGUAGE_CODE.sub(" ", html.unescape(TAG.sub(" ", fragment)))
    return [word for word in WORD.findall(text) if word not in ALLOWED]


def english_in(page: str, patterns: list[re.Pattern[str]]) -> list[str]:
    found = []
    for pattern in patterns:
        for fragment in pattern.findall(page):
            # A checkbox's label is a row's name (a store: "Da'an Roastery"), data, not a label.
            if "<input" not in fragment and english_words(fragment):
                found.append(" ".join(TAG.sub(" ", html.unescape(fragment)).split()))
    return found


@pytest.fixture
def manager() -> tuple[Client, Any]:
    with override_settings(DEBUG=True):  # load_demo refuses to run without it
        call_command("load_demo", stdout=io.StringIO())
    user = get_user_model().objects.get(email=MANAGER)
    client = Client()
    client.force_login(user)  # the demo manager has an authenticator, as the admin requires
    return client, user


def changelists(user: Any) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    paths = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_permission(request)
    ]
    assert len(paths) > 30, paths  # the manager sees the whole back office
    return paths


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_list_has_an_english_column_header_or_filter_title(manager: tuple[Client, Any], language: str) -> None:
    client, user = manager
    found = {}
    for path in changelists(user):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, path
        english = english_in(response.content.decode(), [COLUMN, FILTER])
        if english:
            found[path] = english
    assert found == {}


FORMS: list[Any] = [Store, Product, Member, CouponTemplate, Campaign]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_forms_have_no_english_label_heading_or_help(manager: tuple[Client, Any], language: str) -> None:
    client, _user = manager
    found = {}
    for model in FORMS:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        first = model.objects.order_by("pk").first()
        assert first is not None, model  # the demo has one of each
        for path in (reverse(f"{name}_add"), reverse(f"{name}_change", args=[first.pk])):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, path
            english = english_in(response.content.decode(), [LABEL, FIELDSET, HELP, INLINE])
            if english:
                found[path] = english
    assert found == {}


def test_an_english_header_would_be_found() -> None:
    # The check itself: an English header is caught, a Chinese one with a code is not.
    page = '<th scope="col" class="column-name"><div class="text"><a href="?o=1">Points cost</a></div></th>'
    assert english_in(page, [COLUMN]) == ["Points cost"]
    assert english_in('<th scope="col"><div class="text">QR 碼 NT$</div></th>', [COLUMN]) == []


def test_a_campaigns_results_read_in_chinese(manager: tuple[Client, Any]) -> None:
    # Not labels but sentences the admin builds: a campaign's results, in its list and form.
    client, _user = manager
    campaign = Campaign.objects.order_by("pk").first()
    assert campaign is not None
    form = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "對照組回訪" in form.content.decode() and "converted" not in form.content.decode()
    listing = client.get(reverse("admin:campaigns_campaign_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "0 人中的 —" in listing.content.decode()
