"""What every API view shares: who may call it, and the schema pieces."""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.permissions import SAFE_METHODS
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
            raise UnsupportedMediaType(request.content_type or "(none)")


def _has_body(request: Request) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return "HTTP_TRANSFER_ENCODING" in request.META or not length.isdigit() or int(length) > 0


class TerminalAPIView(JsonAPIView):
    authentication_classes = [TerminalAuthentication]
    permission_classes = [IsTerminal]
    throttle_classes = [TerminalRateThrottle]

    def check_throttles(self, request: Request) -> None:
        # A terminal that guessed too many codes or cards waits, whatever it
        # sends now (a right code too), before the generic rate limit counts.
        guessing_check(terminal=terminal_of(request))
        super().check_throttles(request)

    def guess_failed(self, request: Request, *, what: str) -> None:
        """Count an unknown payment code or card number against this terminal."""
        guessing_failure_record(terminal=terminal_of(request), what=what)


class MemberAPIView(JsonAPIView):
    authentication_classes = [PortalSessionAuthentication, XSessionTokenAuthentication]
    permission_classes = [IsMember]
    throttle_classes = [MemberRateThrottle]

    def member(self, request: Request) -> Member:
        return member_get_or_create_for_user(user=request.user)
