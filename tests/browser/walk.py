"""What the walk-throughs share: axe after every step that changes the page,
and signing in by hand (password, then the authenticator code)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from tests.browser.axe import axe_violations, describe, htmx_settled
from tests.conftest import totp_code

# WALK_SHOTS=/some/dir saves a screenshot of every step, to look at by eye
# (the tests assert what they can; a person still judges the layout).
SHOTS = os.environ.get("WALK_SHOTS", "")


def load_demo() -> None:
    """load_demo's stores, staff (password and authenticator secret as in the
    README), member, menu in three languages and campaigns."""
    with override_settings(DEBUG=True):  # load_demo refuses to run without it
        call_command("load_demo", stdout=io.StringIO())


class Walk:
    """One person's journey: `step(name)` waits for htmx to settle, runs axe
    and keeps what it finds; `clean()` asserts at the end that no step had a
    serious or critical violation, listing every one (a fix usually needs them
    all, not the first)."""

    def __init__(self, page: Any, role: str, language: str) -> None:
        self.page, self.role, self.language = page, role, language
        self.steps: list[str] = []
        self.found: list[str] = []

    def step(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        htmx_settled(page)
        # Every page of every journey speaks the language chosen at the start.
        assert page.evaluate("() => document.documentElement.lang") == self.language, f"{name}: {page.url}"
        self.steps.append(name)
        violations = axe_violations(page)
        if violations:
            self.found.append(describe(f"{name} ({page.url})", violations))
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            page.screenshot(path=f"{SHOTS}/{self.role}-{self.language}-{len(self.steps):02d}-{slug}.png")

    def clean(self) -> None:
        assert not self.found, f"{len(self.found)} of {len(self.steps)} steps fail WCAG 2.2 AA:\n" + "\n".join(
            self.found
        )


def in_language(page: Any, base: str, language: str) -> None:
    """The language the person chose, as the language switcher leaves it (the
    till and the admin have no switcher of their own: a till is set up once)."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])


def type_authenticator_code(page: Any) -> None:
    """The second step of a staff sign-in: the code field has the focus.
    Typing waits until it has it: the field is visible a moment before the
    browser applies autofocus, and keys typed in that moment were lost (a
    partial code, refused, failed a CI run)."""
    expect(page.locator("#id_code")).to_be_focused()
    page.keyboard.type(totp_code())
    page.keyboard.press("Enter")
