"""Shared fixtures: members (one factory), staff with MFA, and the browser.

Suites marked `postgres` need DATABASE_URL to point at PostgreSQL and those
marked `browser` need Chromium; outside CI they are skipped without them, but
with CI=true a missing database or browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import factory
import pytest
from django.db import connection

from members.models import Member

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this suite must run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Each test starts in the default language: a request in Chinese leaves
    its language active in the thread, and services translate their texts."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits and used-TOTP markers live in the cache; tests start clean."""
    from django.core.cache import cache

    from cafe_loyalty.core import rulecache
    from payments.services.ledger import forget_cached_accounts

    cache.clear()
    # Per-process caches of rows that each test's rollback may remove.
    rulecache.forget_all()
    forget_cached_accounts()
    # The memos expire by the clock: on a loaded machine a slow test saw one
    # expire halfway and its pinned query count grew by the reloads. In tests
    # they last for the test; a test about expiry moves the clock past it
    # (tests/pos/test_till_memos.py).
    monkeypatch.setattr(rulecache, "SECONDS", 3600.0)


@pytest.fixture(autouse=True)
def _require_backends(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _unavailable("needs PostgreSQL: run through `python -m tests.pgcluster -- pytest -m postgres`")
    if request.node.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        _unavailable(f"needs Chromium at {CHROMIUM}")


# Any of these in a test's fixture closure means it uses the test database.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


@pytest.fixture(autouse=True)
def _ledger_and_points_invariants_hold(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that uses the database, the wallet ledger and the points
    ledger are consistent: ledger_problems() and points_problems() are empty.

    The database is set up here, before this fixture yields, so the check runs
    before the test's rollback (or, for transactional and threaded tests, before
    the flush). A test that breaks the invariants on purpose, to show
    check_ledger or check_points catching it, says so with
    @pytest.mark.breaks_invariants."""
    uses_db = request.node.get_closest_marker("django_db") is not None or not DATABASE_FIXTURES.isdisjoint(
        request.fixturenames
    )
    if not uses_db or request.node.get_closest_marker("breaks_invariants"):
        yield
        return
    request.getfixturevalue("db")
    yield
    problems = ledger_and_points_problems()
    if problems:
        pytest.fail("the test left the ledger or points inconsistent:\n" + "\n".join(problems), pytrace=False)


def ledger_and_points_problems() -> list[str]:
    """ledger_problems() + points_problems(); each is skipped, after a few
    EXISTS queries, when there are no rows for it to check."""
    from members.models import PointsEntry, PointsLot
    from members.selectors import points_problems
    from payments.models import Account, Transfer
    from payments.selectors.ledger import ledger_problems

    problems: list[str] = []
    if Transfer.objects.exists() or Account.objects.exclude(debits_posted=0, credits_posted=0).exists():
        problems += ledger_problems()
    if PointsEntry.objects.exists() or PointsLot.objects.exists() or Member.objects.exclude(points_balance=0).exists():
        problems += points_problems()
    return problems


# --- People -----------------------------------------------------------------------

PASSWORD = "correct-horse-battery-42"


class MemberFactory(factory.Factory[Member]):
    """A member made the way the product makes one (members.services.member_create),
    with money in the wallet if asked: MemberFactory.create(balance=10_000) is topped
    up NT$100 in cash."""

    class Meta:
        model = Member

    user = None
    display_name = factory.Sequence(lambda n: f"Member {n}")
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    phone = ""

    @classmethod
    def _create(cls, model_class: type[Member], *args: Any, **kwargs: Any) -> Member:
        from members.services import member_create

        return member_create(**kwargs)

    @factory.post_generation
    def balance(member: Member, create: bool, extracted: int | None, **kwargs: Any) -> None:
        from payments.services.top_ups import wallet_top_up

        if create and extracted:
            wallet_top_up(member=member, amount=extracted, tender="cash")


@pytest.fixture
def make_member(db: Any) -> Callable[..., Member]:
    """MemberFactory for a test: make_member(), make_member("Mei"), make_member(balance=10_000)."""

    def make(display_name: str | None = None, **fields: Any) -> Member:
        if display_name is not None:
            fields["display_name"] = display_name
        return MemberFactory.create(**fields)

    return make


def make_user(django_user_model: Any, email: str, *, verified: bool = True) -> Any:
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(username=email, email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


@pytest.fixture
def member_user(db: Any, django_user_model: Any) -> Any:
    from members.services import member_get_or_create_for_user

    user = make_user(django_user_model, "mei@example.com")
    user.first_name = "Mei"
    user.save()
    member_get_or_create_for_user(user=user)
    return user


@pytest.fixture
def member(member_user: Any) -> Any:
    return member_user.member


@pytest.fixture
def member_client(client: Any, member_user: Any) -> Any:
    client.force_login(member_user)
    return client


TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def add_totp(user: Any, secret: str = TOTP_SECRET) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app would show now. Near the end of its
    30-second window it waits for the next one, as a person would: a code typed
    in a window's last moment can reach the server after it closed (the server
    accepts the current window only), which made browser sign-ins flaky."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 3:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def approver_login(user: Any) -> dict[str, str]:
    """The approver fields of a till form, as the approver types them: email,
    password and the code their authenticator shows. Each call stands for the
    next 30-second code (a code is accepted once)."""
    from django.core.cache import cache

    code = totp_code()
    cache.delete(f"allauth.mfa.totp.used?user={user.pk}&code={code}")
    return {"approver_email": user.email, "approver_password": PASSWORD, "approver_code": code}


def make_staff(django_user_model: Any, email: str, role: str, *, mfa: bool = True) -> Any:
    from django.contrib.auth.models import Group

    user = make_user(django_user_model, email)
    user.groups.add(Group.objects.get(name=role))
    if role == "Manager":
        user.is_staff = True
        user.save()
    if mfa:
        add_totp(user)
    return user


@pytest.fixture
def pos_till(client: Any, barista_user: Any) -> tuple[Any, Any]:
    """The demo menu, a store, and a barista signed in at its till (client, store)."""
    from payments.management.commands.load_menu_demo import load_menu_demo
    from payments.models import Store, StoreStaff

    load_menu_demo()
    store = Store.objects.create(name="Da'an", slug="daan")
    StoreStaff.objects.create(user=barista_user, store=store, role="Barista")
    client.force_login(barista_user)
    return client, store


@pytest.fixture
def barista_user(db: Any, django_user_model: Any) -> Any:
    return make_staff(django_user_model, "barista@example.com", "Barista")


@pytest.fixture
def shift_manager_user(db: Any, django_user_model: Any) -> Any:
    return make_staff(django_user_model, "shift@example.com", "Shift manager")


@pytest.fixture
def manager_user(db: Any, django_user_model: Any) -> Any:
    return make_staff(django_user_model, "manager@example.com", "Manager")


@pytest.fixture
def programme_key(settings: Any, db: Any) -> str:
    """The programme's key for paying offline (issue 18) in the settings,
    generated per test as `manage.py offline_key create` makes one."""
    from payments.services.offline import keys

    pem = keys.key_generate()
    settings.CAFE_OFFLINE_KEY = pem
    settings.CAFE_OFFLINE_KEY_FILE = ""
    keys._public_keys.clear()
    return pem


# --- Browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"needs Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # refuses to run beside one unless told it is safe (it is: tests are sync).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def browser_tab(browser: Any, request: pytest.FixtureRequest, *, name: str = "") -> Iterator[Any]:
    """A phone-sized tab in a browser context of its own (its own cookies,
    service workers and network); a screenshot is kept if the test fails."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    # After the live server (whatever order a test names them in), so the tab
    # is closed first: a page still polling while the test database is
    # flushed locks a table and spoils the next test.
    yield from browser_tab(browser, request)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compiled catalogues must be there and current: without them every
    Chinese page shows English and the tests that read Chinese text would be
    checking nothing (`make messages` compiles them; a fresh worktree lacks them)."""
    locale = Path(__file__).resolve().parent.parent / "locale"
    for po in locale.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            raise pytest.UsageError(f"{mo} is missing or older than its .po: run `make messages` first")
