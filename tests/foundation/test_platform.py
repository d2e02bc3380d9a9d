"""Health, settings and management commands."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from payments.models import Store, Terminal

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_reports_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CAFE_HASH_KEY": secrets.token_urlsafe(64),
        "EMAIL_URL": "smtp://mail.example.com:587",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "CAFE_TRUSTED_PROXIES": "1",
        "ALLOWED_HOSTS": "cafe.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_create_terminal_prints_a_key_once_and_stores_only_its_hash() -> None:
    Store.objects.create(name="Da'an", slug="daan")
    out = io.StringIO()
    call_command("create_terminal", "--store", "daan", "--name", "Front till", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    terminal = Terminal.objects.get(name="Front till")
    assert key not in (terminal.key_hash, terminal.key_prefix)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/members/000000000000").status_code == 404  # authenticated, no such member
    terminal.is_active = False
    terminal.save()
    assert api.get("/api/v1/members/000000000000").status_code == 401


@pytest.mark.django_db
def test_invite_staff_gives_the_role_and_emails_a_set_password_link(mailoutbox: Any) -> None:
    Store.objects.create(name="Xinyi", slug="xinyi")
    call_command(
        "invite_staff",
        "--store",
        "xinyi",
        "--email",
        "Lee@Example.com",
        "--role",
        "Shift manager",
        stdout=io.StringIO(),
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email="lee@example.com")
    assert user.groups.filter(name="Shift manager").exists()
    assert user.store_roles.get().store.slug == "xinyi"
    assert not user.has_usable_password()
    assert mailoutbox and "lee@example.com" in mailoutbox[-1].to


@pytest.mark.django_db
def test_me_api_answers_with_session_and_with_headless_session_token(client: Client, member_user: Any) -> None:
    from tests.conftest import PASSWORD

    client.force_login(member_user)
    assert client.get("/api/v1/me").json()["card_number"] == member_user.member.card_number
    login = APIClient().post(
        "/_allauth/app/v1/auth/login", {"email": member_user.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content
    token = login.json()["meta"]["session_token"]
    me = APIClient().get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200, me.content
    assert me.json()["email"] == member_user.email
    assert APIClient().get("/api/v1/me", HTTP_X_SESSION_TOKEN="bogus").status_code == 401


@pytest.mark.django_db
def test_pages_render_in_each_language(member_client: Client) -> None:
    for code in ("en", "zh-hant", "zh-hans"):
        member_client.post("/i18n/setlang/", {"language": code, "next": "/"})
        response = member_client.get("/")
        assert response.status_code == 200
        assert f'lang="{code}"'.encode() in response.content


@pytest.mark.django_db
def test_portal_speaks_traditional_and_simplified_chinese(member_client: Client) -> None:
    member_client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert "櫃台付款".encode() in member_client.get("/").content
    member_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "柜台付款".encode() in member_client.get("/").content


def test_money_is_formatted_with_groups_of_three_in_every_language() -> None:
    from django.utils import translation

    from cafe_loyalty.core.money import format_money, parse_money

    for language in ("en", "zh-hant", "zh-hans"):
        with translation.override(language):
            assert format_money(110_000) == "NT$1,100"
            assert format_money(-1_234_550) == "-NT$12,345.50"
    assert parse_money("1,100") == 110_000
    with pytest.raises(ValueError):
        parse_money("1.001")


@pytest.mark.django_db
def test_rule_rows_are_memoised_per_process_and_forgotten_when_saved(django_assert_num_queries: Any) -> None:
    from campaigns.models import Promotion, active_promotions
    from members.models import PointsPolicy

    PointsPolicy.current()
    with django_assert_num_queries(0):
        assert PointsPolicy.current().expiry_months == 12
    policy = PointsPolicy.objects.get(pk=1)
    policy.expiry_months = 6
    policy.save()
    assert PointsPolicy.current().expiry_months == 6
    assert active_promotions() == []
    Promotion.objects.create(name="Double Tuesday", multiplier_percent=200, weekdays="2")
    assert [p.name for p in active_promotions()] == ["Double Tuesday"]
