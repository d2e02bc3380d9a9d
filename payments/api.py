"""The REST API (`/api/v1/`): thin views over the services; see DESIGN.md."""

from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.services import member_get_or_create_for_user
from payments.selectors import member_portal_summary


class IsMemberUser(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and hasattr(request.user, "groups"))


MEMBER_AUTH = [SessionAuthentication, XSessionTokenAuthentication]


class MeOutput(serializers.Serializer):
    card_number = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    wallet_balance = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    tier = serializers.CharField(allow_null=True)
    frozen = serializers.BooleanField()


class MeView(APIView):
    authentication_classes = MEMBER_AUTH
    permission_classes = [IsMemberUser]
    throttle_scope = "member"

    @extend_schema(responses=MeOutput, summary="The signed-in member's card, balances and tier")
    def get(self, request: Request) -> Response:
        member = member_get_or_create_for_user(user=request.user)  # type: ignore[arg-type]
        summary = member_portal_summary(member=member)
        return Response(
            MeOutput(
                {
                    "card_number": member.card_number,
                    "email": member.email,
                    "name": member.display_name,
                    "wallet_balance": summary.wallet_balance,
                    "points_balance": summary.points_balance,
                    "tier": None,
                    "frozen": summary.is_frozen,
                }
            ).data
        )
