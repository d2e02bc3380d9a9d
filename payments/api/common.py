"""What every API view shares: who may call it, and the schema pieces."""

from __future__ import annotations

from typing import Any, NoReturn

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.contrib.auth import get_user
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.utils.mediatypes import media_type_matches
from rest_framework.views import APIView

from members.models import Member
from members.services import member_get_or_create_for_user
from payments.authentication import (
    IsMember,
    IsTerminal,
    MemberRateThrottle,
    PortalSessionAuthentication,
    TerminalAuthentication,
    TerminalRateThrottle,
)
from payments.models import Terminal
from payments.services.guessing import guessing_check, guessing_failure_record

MAX_AMOUNT = 10**12  # far above any cafe order; keeps integers sane


def terminal_of(request: Request) -> Terminal:
    assert isinstance(request.auth, Terminal)  # guaranteed by IsTerminal
    return request.auth


# Request bodies are JSON only (REST_FRAMEWORK's parsers). Any other body is
# refused with 415 before the view runs, even on a view that reads no body: a
# form or multipart body must never be taken for an empty one (a refund with
# no amount refunds what is left). A comment, not a docstring: the schema would
# show a docstring as every operation's description.
class JsonAPIView(APIView):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS or not _has_body(request):
            return
        if not media_type_matches("application/json", request.content_type or ""):
            raise exceptions.UnsupportedMediaType(request.content_type or "(none)")

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        # DRF's negotiation parses the Accept header and the query string on
        # every request. For a request with neither a query string nor a format
        # suffix that accepts anything (no Accept, or */*) or exactly the first
        # renderer's type, its answer is known: that renderer and its type.
        # Anything else is negotiated by DRF (406, ?format=, "; indent=4").
        if not self.format_kwarg and not request.META.get("QUERY_STRING"):
            renderers = self.get_renderers()
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if renderers and accept in ("*/*", renderers[0].media_type):
                return renderers[0], renderers[0].media_type
        return super().perform_content_negotiation(request, force)


def _has_body(request: Request) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return "HTTP_TRANSFER_ENCODING" in request.META or not length.isdigit() or int(length) > 0


# DRF answers 401 whenever none of a view's own authenticators accepts the
# request. A valid credential of the other kind (a member's session or token
# at a terminal endpoint, a terminal key at `/me`) says who is calling; they
# are only not allowed here: 403 `permission_denied`, as DESIGN's table says.
# Missing or invalid credentials keep their 401. (A comment, as above.)
class CallerKindAPIView(JsonAPIView):
    other_kind_message = ""

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> NoReturn:
        if request.successful_authenticator is None and self.other_kind_credential(request):
            raise exceptions.PermissionDenied(self.other_kind_message)
        super().permission_denied(request, message=message, code=code)

    def other_kind_credential(self, request: Request) -> bool:
        """Whether the request carries a valid credential this view does not take."""
        return False


class TerminalAPIView(CallerKindAPIView):
    authentication_classes = [TerminalAuthentication]
    permission_classes = [IsTerminal]
    throttle_classes = [TerminalRateThrottle]
    other_kind_message = "This endpoint is for terminals; a member's sign-in cannot use it."

    def other_kind_credential(self, request: Request) -> bool:
        # The session is read again: DRF replaced the request's user with
        # AnonymousUser when no authenticator of this view took the request.
        if get_user(request._request).is_authenticated:
            return True
        try:
            return XSessionTokenAuthentication().authenticate(request) is not None
        except exceptions.AuthenticationFailed:
            return False

    def check_throttles(self, request: Request) -> None:
        # A terminal that guessed too many codes or cards waits, whatever it
        # sends now (a right code too), before the generic rate limit counts.
        guessing_check(terminal=terminal_of(request))
        super().check_throttles(request)

    def guess_failed(self, request: Request, *, what: str) -> None:
        """Count an unknown payment code or card number against this terminal."""
        guessing_failure_record(terminal=terminal_of(request), what=what)


class MemberAPIView(CallerKindAPIView):
    authentication_classes = [PortalSessionAuthentication, XSessionTokenAuthentication]
    permission_classes = [IsMember]
    throttle_classes = [MemberRateThrottle]
    other_kind_message = "This endpoint is for members; a terminal key cannot use it."

    def other_kind_credential(self, request: Request) -> bool:
        try:
            return TerminalAuthentication().authenticate(request) is not None
        except exceptions.AuthenticationFailed:
            return False

    def member(self, request: Request) -> Member:
        return member_get_or_create_for_user(user=request.user)
