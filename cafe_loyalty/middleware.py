"""Project-wide middleware: structured request logs, the session policy
(every session listed; staff sessions short), the Content Security Policy
and MFA for staff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cafe_loyalty.core.activity import is_staff_activity
from cafe_loyalty.core.clients import client_ip
from cafe_loyalty.core.permcache import staff_must_set_up_mfa
from cafe_loyalty.core.roles import is_staff_member
from members.sessions import session_list

request_log = logging.getLogger("cafe.request")

# Where staff must have MFA before they get in. The allauth pages that set MFA
# up live under /accounts/ and stay reachable.
MFA_GUARDED_PREFIXES = ("/pos/", "/admin/")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": getattr(user, "pk", None),
                "client_ip": client_ip(request),
            },
        )
        return response


class StaffMfaMiddleware:
    """Staff (baristas, shift managers, managers) reach the POS and the admin only
    once they have set up an authenticator; allauth then asks for it at login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.CAFE_STAFF_REQUIRE_MFA
            and request.path.startswith(MFA_GUARDED_PREFIXES)
            and request.user.is_authenticated
            and staff_must_set_up_mfa(request.user)
        ):
            messages.warning(request, _("Staff accounts need two-factor authentication. Set it up to continue."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)


# The session's own record: whose it is, that it is on allauth's list, whether
# they are staff, when it began and when it was last seen.
SESSION_POLICY = "cafe_session"
# "Last seen" is written at most this often, so a busy till does not write its
# session on every tap; the idle limit holds to within this much.
SEEN_EVERY_SECONDS = 60
# Where a signed-out request is answered by the view itself (a 401 problem)
# rather than redirected to the login page.
NO_REDIRECT_PREFIXES = ("/api/", "/_allauth/")


def session_policy_start(*, request: HttpRequest, user: Any) -> dict[str, Any]:
    """When a session begins: list it (members.sessions) and note whether it is
    a staff session and when it began. Connected to Django's user_logged_in, so
    every sign-in pays this once and pages pay nothing."""
    session_list(request=request, user=user)
    now = time.time()
    policy = {"user": user.pk, "key": request.session.session_key, "staff": is_staff_member(user)}
    policy.update(since=now, seen=now)
    request.session[SESSION_POLICY] = policy
    return policy


def session_policy_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_policy_start(request=request, user=user)


class SessionPolicyMiddleware:
    """Every signed-in session is on allauth's list of the person's sessions,
    so freezing a wallet can sign out the other devices.

    Staff (any role, read through cafe_loyalty.core.roles) work on shared tills:
    their session ends after CAFE_STAFF_IDLE_SECONDS without a request and
    CAFE_STAFF_SESSION_MAX_SECONDS after it began; the next request goes to
    the login page. A request counts as activity once its view is known
    (process_view), except a page's own polls (cafe_loyalty.core.activity):
    those are still signed out at the limit but keep nothing alive. Members
    keep the normal session. Who is staff is read when
    the session begins and kept in it (a role given later applies from the
    next sign-in)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            policy = request.session.get(SESSION_POLICY)
            if not isinstance(policy, dict) or policy.get("user") != request.user.pk:
                # A session begun before the policy existed: it starts now.
                policy = session_policy_start(request=request, user=request.user)
            elif policy.get("key") != request.session.session_key:
                # Same session under a new key (e.g. after a password change):
                # list the new key, keep when it began.
                session_list(request=request, user=request.user)
                policy["key"] = request.session.session_key
                request.session[SESSION_POLICY] = policy
            if policy["staff"]:
                why = self._staff_session_over(policy, now)
                if why:
                    return self._sign_out(request, why)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], *args: Any) -> None:
        """A staff request counts as activity (it moves "last seen") once its
        view is known: a page's own polls (`not_staff_activity`) do not."""
        if not request.user.is_authenticated or not is_staff_activity(view):
            return
        policy = request.session.get(SESSION_POLICY)
        now = time.time()
        if isinstance(policy, dict) and policy.get("staff") and now - policy["seen"] >= SEEN_EVERY_SECONDS:
            policy["seen"] = now
            request.session[SESSION_POLICY] = policy

    @staticmethod
    def _staff_session_over(policy: dict[str, Any], now: float) -> str:
        idle = settings.CAFE_STAFF_IDLE_SECONDS
        if now - policy["seen"] > idle:
            minutes = max(1, round(idle / 60))
            return ngettext(
                "You were signed out after %(minutes)d minute without activity: tills are shared. Sign in again.",
                "You were signed out after %(minutes)d minutes without activity: tills are shared. Sign in again.",
                minutes,
            ) % {"minutes": minutes}
        longest = settings.CAFE_STAFF_SESSION_MAX_SECONDS
        if now - policy["since"] > longest:
            hours = max(1, round(longest / 3600))
            return ngettext(
                "Staff sessions last at most %(hours)d hour. Sign in again.",
                "Staff sessions last at most %(hours)d hours. Sign in again.",
                hours,
            ) % {"hours": hours}
        return ""

    def _sign_out(self, request: HttpRequest, why: str) -> HttpResponse:
        logout(request)
        if request.path.startswith(NO_REDIRECT_PREFIXES):
            return self.get_response(request)  # now anonymous: the API answers 401
        messages.info(request, why)
        # At the till, back to the staff sign-in page; elsewhere the usual one.
        login_url = resolve_url("pos:login" if request.path.startswith("/pos/") else settings.LOGIN_URL)
        if request.method == "GET":
            login_url = redirect_to_login(request.get_full_path(), login_url=login_url).url
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into the cart: send the whole page there.
            answer = HttpResponse(status=204)
            answer["HX-Redirect"] = login_url
            return answer
        return redirect(login_url)


def content_security_policy(policy: dict[str, list[str]]) -> str:
    """{"script-src": ["'self'"], …} as a header value."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Every response carries `CAFE_CONTENT_SECURITY_POLICY`, so a script
    injected into a page cannot run and a page cannot be framed. A view that
    needs another policy (the API docs) sets the header itself and keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = content_security_policy(settings.CAFE_CONTENT_SECURITY_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500) and "text/html" in response.get("Content-Type", ""):
            # Django's technical error pages (DEBUG only) are built on inline script and style.
            return response
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response
