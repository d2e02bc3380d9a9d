"""Money controls: production refuses to start on development fallbacks (a
per-process cache, hashes keyed by SECRET_KEY, a spoofable client address),
demo accounts never reach a real installation, and the client address is read
one way, trusting exactly the proxies configured."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings
from rest_framework.request import Request
from rest_framework.views import APIView

from cafe_loyalty.core.clients import client_ip
from members.models import Member
from members.selectors import points_problems
from payments.authentication import MemberRateThrottle
from payments.models import Store
from payments.selectors.ledger import ledger_problems
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ["SECRET_KEY", "CAFE_HASH_KEY", "EMAIL_URL", "CACHE_URL", "CAFE_TRUSTED_PROXIES"]


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CAFE_HASH_KEY": secrets.token_urlsafe(64),
        "EMAIL_URL": "smtp://mail.example.com:587",
        # Only parsed at start; no Redis is needed to run `check`.
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "ALLOWED_HOSTS": "cafe.example.com",
        "CAFE_TRUSTED_PROXIES": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def assert_books_hold() -> None:
    assert ledger_problems() == []
    assert points_problems() == []


def test_check_deploy_is_clean_with_every_production_variable(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without_each_variable_and_names_it(tmp_path: Path, missing: str) -> None:
    result = manage(production_env(tmp_path, **{missing: None}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} is not set" in result.stderr
    others = [name for name in REQUIRED if name != missing]
    assert not any(f"{name} is not set" in result.stderr for name in others), result.stderr


def test_the_refusal_names_every_missing_variable_at_once(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, **dict.fromkeys(REQUIRED)), "check")
    assert result.returncode != 0
    for name in REQUIRED:
        assert f"{name} is not set" in result.stderr


@pytest.mark.parametrize("cache_url", ["locmemcache://", "dummycache://"])
def test_production_refuses_a_cache_each_worker_keeps_for_itself(tmp_path: Path, cache_url: str) -> None:
    """Four wrong approver passwords on each of four workers would be sixteen."""
    result = manage(production_env(tmp_path, CACHE_URL=cache_url), "check")
    assert result.returncode != 0
    assert "CACHE_URL must be a shared cache" in result.stderr


def test_production_refuses_a_hash_key_equal_to_the_secret_key(tmp_path: Path) -> None:
    """Rotating SECRET_KEY must not void every terminal key and live payment code."""
    same = secrets.token_urlsafe(64)
    result = manage(production_env(tmp_path, SECRET_KEY=same, CAFE_HASH_KEY=same), "check")
    assert result.returncode != 0
    assert "CAFE_HASH_KEY must differ from SECRET_KEY" in result.stderr


@pytest.mark.parametrize("proxies", ["yes", "-1", "1.5", "²"])
def test_production_refuses_a_trusted_proxy_count_that_is_not_a_whole_number(tmp_path: Path, proxies: str) -> None:
    result = manage(production_env(tmp_path, CAFE_TRUSTED_PROXIES=proxies), "check")
    assert result.returncode != 0
    assert "CAFE_TRUSTED_PROXIES must be a whole number" in result.stderr


@pytest.mark.parametrize("mode", [{"DEBUG": "true"}, {"CAFE_TESTING": "1"}])
def test_development_and_tests_start_without_production_variables(tmp_path: Path, mode: dict[str, str]) -> None:
    env = {**production_env(tmp_path, **dict.fromkeys(REQUIRED)), "DEBUG": "false", **mode}
    result = manage(env, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_load_demo_refuses_to_run_with_debug_off(tmp_path: Path) -> None:
    """Demo staff share a published password and TOTP secret."""
    result = manage(production_env(tmp_path), "load_demo")
    assert result.returncode != 0
    assert "load_demo runs only with DEBUG=true" in result.stderr


@pytest.mark.django_db
def test_load_demo_refuses_in_process_too_and_writes_nothing(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="load_demo runs only with DEBUG=true"):
        call_command("load_demo")
    assert not get_user_model().objects.exists()
    assert not Store.objects.exists() and not Member.objects.exists()
    assert_books_hold()


# --- The client address: one reading, trusting exactly CAFE_TRUSTED_PROXIES ----------------------


def test_the_client_address_is_the_entry_our_outermost_proxy_wrote(settings: Settings) -> None:
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.CAFE_TRUSTED_PROXIES = 0
    assert client_ip(forged) == "10.0.0.2"  # no proxy trusted: the header is the client's own words
    settings.CAFE_TRUSTED_PROXIES = 1
    assert client_ip(forged) == "203.0.113.9"  # what our proxy saw; the forged first entry is ignored
    settings.CAFE_TRUSTED_PROXIES = 2
    assert client_ip(forged) == "6.6.6.6"
    settings.CAFE_TRUSTED_PROXIES = 3  # fewer entries than proxies: not through all of ours
    assert client_ip(forged) == "10.0.0.2"
    settings.CAFE_TRUSTED_PROXIES = 1
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(garbage) == "10.0.0.2"


@pytest.mark.django_db
def test_forging_x_forwarded_for_does_not_escape_the_login_rate_limit(
    client: Client, settings: Settings, member_user: Any
) -> None:
    """An attacker guessing passwords writes a new X-Forwarded-For on every try;
    behind one proxy, the address that proxy appended is the one counted."""
    settings.CAFE_TRUSTED_PROXIES = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    answers = []
    for attempt in range(5):
        response = client.post(
            "/accounts/login/",
            {"login": f"guess{attempt}@example.com", "password": "wrong-password-123"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 203.0.113.9",
        )
        answers.append(response)
    assert all(r.status_code == 200 for r in answers[:3])
    refused = answers[3]
    assert refused.status_code == 429 or "Too many failed login attempts" in refused.content.decode()
    # Another real client behind the same proxy is not locked out by the attacker.
    other = client.post(
        "/accounts/login/",
        {"login": member_user.email, "password": "wrong-password-123"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert other.status_code == 200 and "Too many failed login attempts" not in other.content.decode()


def test_api_throttles_count_the_address_our_proxy_saw(settings: Settings) -> None:
    settings.CAFE_TRUSTED_PROXIES = 1
    forged = RequestFactory().get("/api/v1/me", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    forged.user = AnonymousUser()
    request = Request(forged)
    assert MemberRateThrottle().get_cache_key(request, APIView()) == "throttle_anon_203.0.113.9"


# --- Staff passwords: 12 characters at least; members keep Django's rule ---------------------------

SHORT = "mq7#Lp2xVw9"  # 11 characters, not common, not numeric


def change_password(client: Client, user: Any, new: str) -> Any:
    client.force_login(user)
    return client.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new})


@pytest.mark.parametrize("staff", ["barista_user", "shift_manager_user", "manager_user"])
@pytest.mark.django_db
def test_staff_cannot_choose_a_password_under_twelve_characters(
    client: Client, staff: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(staff)
    refused = change_password(client, user, SHORT)
    assert refused.status_code == 200
    assert "Staff passwords must contain at least 12 characters." in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    accepted = change_password(client, user, SHORT + "!")
    assert accepted.status_code == 302
    user.refresh_from_db()
    assert user.check_password(SHORT + "!")


@pytest.mark.django_db
def test_members_keep_the_shorter_rule(client: Client, member_user: Any) -> None:
    accepted = change_password(client, member_user, "mq7#Lp2x")
    assert accepted.status_code == 302
    member_user.refresh_from_db()
    assert member_user.check_password("mq7#Lp2x")


@pytest.mark.django_db
def test_admin_flags_count_as_staff_and_a_new_signup_does_not(django_user_model: Any) -> None:
    superuser = django_user_model(username="root", is_superuser=True)
    with pytest.raises(ValidationError, match="at least 12"):
        validate_password(SHORT, superuser)
    validate_password(SHORT, django_user_model(username="new@example.com"))  # unsaved: a member signing up


# --- Content Security Policy on every response (the browser test shows it holds) ------------------

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/pos/", "/api/v1/stores", "/nowhere/"])
def test_every_response_carries_the_content_security_policy(client: Client, path: str) -> None:
    assert client.get(path)["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_the_api_docs_load_swagger_from_our_own_static_files_and_nothing_inline(client: Client) -> None:
    page = client.get("/api/docs/")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "http" not in policy  # no CDN may run code here
    assert "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy
    html = page.content.decode()
    assert "<script>" not in html  # the initialiser is a file of its own, from this URL
    assert client.get("/api/docs/?script").status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
