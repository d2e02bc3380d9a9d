"""What every API view shares: who may call it, and the schema pieces."""

from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
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


class TerminalAPIView(APIView):
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


class MemberAPIView(APIView):
    authentication_classes = [PortalSessionAuthentication, XSessionTokenAuthentication]
    permission_classes = [IsMember]
    throttle_classes = [MemberRateThrottle]

    def member(self, request: Request) -> Member:
        return member_get_or_create_for_user(user=request.user)


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True, description="Unique per logical request"
)
PROBLEM = OpenApiResponse(description="Problem details (application/problem+json) with a stable `code`")
