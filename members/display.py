"""The member's "large and simple" display mode, kept in the session.

Member.large_and_simple is the stored choice; every portal page needs it to
pick its stylesheet class, so the session carries a copy (set at sign-in and
when the profile is saved) and pages pay no query for it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

SESSION_KEY = "large_and_simple"


def remember_large_and_simple(request: HttpRequest, member: Any) -> None:
    request.session[SESSION_KEY] = bool(member.large_and_simple)


def large_and_simple(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_KEY))
