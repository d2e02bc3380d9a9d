"""API authentication for tills and kiosks: `Authorization: Bearer <terminal key>`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.views import APIView

from cafe_loyalty.core.clients import client_ip
from cafe_loyalty.core.throttling import WindowRateThrottle
from payments.models import Terminal
from payments.services.terminals import terminal_for_key


class TerminalAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Terminal, Terminal] | None:
        header = authentication.get_authorization_header(request).decode("latin-1", errors="replace")
        if not header:
            return None
        parts = header.split()
        # The scheme is case-insensitive (RFC 9110 section 11.1): "bearer" is "Bearer".
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <terminal key>'.")
        terminal = terminal_for_key(key=parts[1])
        if terminal is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked terminal key.")
        return terminal, terminal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TerminalAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "payments.authentication.TerminalAuthentication"
    name = "terminalKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Terminal key from `manage.py create_terminal`"}


class PortalSessionAuthentication(SessionAuthentication):
    """The portal's session cookie (CSRF enforced). Answers 401, not 403, when
    credentials are missing, as the API contract says."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="api"'


class IsTerminal(permissions.BasePermission):
    message = "This endpoint is for terminals (Authorization: Bearer <terminal key>)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, Terminal)


class IsMember(permissions.BasePermission):
    """A signed-in person (portal session or allauth app session token)."""

    message = "Sign in as a member."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and not isinstance(request.auth, Terminal))


class TerminalRateThrottle(WindowRateThrottle):
    scope = "terminal"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, Terminal):
            return f"throttle_terminal_{request.auth.pk}"
        return None


class MemberRateThrottle(WindowRateThrottle):
    scope = "member"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated and not isinstance(request.auth, Terminal):
            return f"throttle_member_{request.user.pk}"
        return f"throttle_anon_{self.get_ident(request)}"

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class PortalSessionScheme(OpenApiAuthenticationExtension):
    target_class = "payments.authentication.PortalSessionAuthentication"
    name = "portalSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "The portal's session cookie"}
