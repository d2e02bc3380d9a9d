"""Members at the till: enrol, look up by card number."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from members.cards import is_valid_card_number
from members.models import Member
from members.privacy import mask_email, mask_phone
from members.selectors import member_by_card_number
from payments.api.common import TerminalAPIView, terminal_of
from payments.api.schema import TierNameField, api_operation
from payments.exceptions import MemberNotFound
from payments.selectors.wallet import member_portal_summary, member_tier_name
from payments.services.terminals import member_enrol_by_terminal


def member_summary(member: Member, *, masked: bool) -> dict[str, Any]:
    """The member as terminals see it (the shape of MemberSummaryOutput)."""
    summary = member_portal_summary(member=member)
    return {
        "id": member.pk,
        "card_number": member.card_number,
        "email": mask_email(member.email) if masked else member.email,
        "name": member.display_name,
        "phone": (mask_phone(member.phone) if masked else member.phone) if member.phone else None,
        "tier": member_tier_name(member),
        "points_balance": summary.points_balance,
        "wallet_balance": summary.wallet_balance,
    }


class MemberSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    card_number = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    tier = TierNameField(allow_null=True, help_text="null only while the programme has no tiers")
    points_balance = serializers.IntegerField()
    wallet_balance = serializers.IntegerField()


# --- Members -------------------------------------------------------------------


class MemberCreateInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=80)
    phone = serializers.RegexField(r"^[0-9+\- ()]{6,32}$", required=False, allow_blank=True)


class MembersView(TerminalAPIView):
    @api_operation(
        summary="Enrol a member at the till",
        request=MemberCreateInput,
        ok={201: MemberSummaryOutput},
        errors=[409],
    )
    def post(self, request: Request) -> Response:
        data = MemberCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_enrol_by_terminal(
            terminal=terminal_of(request),
            email=data.validated_data["email"],
            name=data.validated_data["name"],
            phone=data.validated_data.get("phone", ""),
        )
        return Response(MemberSummaryOutput(member_summary(member, masked=False)).data, status=status.HTTP_201_CREATED)


class MemberDetailView(TerminalAPIView):
    @api_operation(summary="Look up a member by card number", ok={200: MemberSummaryOutput}, errors=[404])
    def get(self, request: Request, card_number: str) -> Response:
        member = member_by_card_number(card_number=card_number) if is_valid_card_number(card_number) else None
        if member is None:
            self.guess_failed(request, what="unknown card number")
            raise MemberNotFound("No member with that card number.")
        return Response(MemberSummaryOutput(member_summary(member, masked=True)).data)
