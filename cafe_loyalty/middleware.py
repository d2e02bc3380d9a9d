"""Project-wide middleware: structured request logs, the Content Security Policy
and MFA for staff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from cafe_loyalty.core.clients import client_ip
from cafe_loyalty.core.roles import is_staff_member, user_has_mfa

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
            and is_staff_member(request.user)
            and not user_has_mfa(request.user)
        ):
            messages.warning(request, _("Staff accounts need two-factor authentication. Set it up to continue."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)


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
