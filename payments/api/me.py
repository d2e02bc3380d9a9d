"""The member's own API (`/api/v1/me/…`)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cafe_loyalty.core.apifields import UTCDateTimeField
from members.selectors import tier_progress
from payments.api.common import MemberAPIView
from payments.api.payments import PaymentOutput
from payments.api.schema import HISTORY_KINDS, HISTORY_TYPES, TierNameField, api_operation
from payments.exceptions import PaymentNotPending, WalletError
from payments.models import Payment
from payments.selectors.wallet import (
    member_history,
    member_history_count,
    member_payment,
    member_portal_summary,
    member_tier_name,
)
from payments.services.codes import payment_code_issue
from payments.services.orders import order_confirm_payment, order_payment_declined

# --- The member's own API ---------------------------------------------------------------


class TierProgressOutput(serializers.Serializer):
    tier = TierNameField(source="tier_en")
    next_tier = TierNameField(source="next_tier_en", allow_null=True, help_text="null at the top tier")
    points_12m = serializers.IntegerField()
    visits_12m = serializers.IntegerField()
    points_needed = serializers.IntegerField(min_value=0)
    visits_needed = serializers.IntegerField(min_value=0)
    percent = serializers.IntegerField(min_value=0, max_value=100)
    hint = serializers.CharField(allow_blank=True)


class MeOutput(serializers.Serializer):
    card_number = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    wallet_balance = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    tier = TierNameField(allow_null=True, help_text="null only while the programme has no tiers")
    tier_progress = TierProgressOutput()
    frozen = serializers.BooleanField()


class MeView(MemberAPIView):
    @api_operation(summary="The signed-in member's card, balances and tier progress", ok={200: MeOutput})
    def get(self, request: Request) -> Response:
        member = self.member(request)
        summary = member_portal_summary(member=member)
        body = {
            "card_number": member.card_number,
            "email": member.email,
            "name": member.display_name,
            "wallet_balance": summary.wallet_balance,
            "points_balance": summary.points_balance,
            "tier": member_tier_name(member),
            "tier_progress": tier_progress(member=member, now=timezone.now()),
            "frozen": summary.is_frozen,
        }
        return Response(MeOutput(body).data)


class PaymentCodeOutput(serializers.Serializer):
    code = serializers.CharField()
    expires_at = UTCDateTimeField()


class MePaymentCodeView(MemberAPIView):
    @api_operation(summary="Issue a one-time payment code", ok={201: PaymentCodeOutput}, errors=[415, 423])
    def post(self, request: Request) -> Response:
        issued = payment_code_issue(member=self.member(request))
        return Response(PaymentCodeOutput(issued).data, status=status.HTTP_201_CREATED)


class HistoryItemOutput(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.ChoiceField(choices=HISTORY_KINDS)
    type = serializers.ChoiceField(choices=HISTORY_TYPES, help_text="the transfer's or points entry's kind")
    amount = serializers.IntegerField()
    description = serializers.CharField()
    created_at = UTCDateTimeField()
    reference = serializers.CharField()


class TransactionsQuery(serializers.Serializer):
    # Deep pages cost reading every line before them: 10,000 pages is far more
    # history than a member makes.
    page = serializers.IntegerField(min_value=1, max_value=10_000, default=1)


class MeTransactionsView(MemberAPIView):
    page_size = 25

    @api_operation(
        summary="Wallet and points history, newest first",
        parameters=[OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": 10_000}, required=False)],
        ok={
            200: inline_serializer(
                "TransactionPage",
                {
                    "count": serializers.IntegerField(min_value=0, help_text="lines in the whole history"),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": HistoryItemOutput(many=True),
                },
            )
        },
        errors=[400],
    )
    def get(self, request: Request) -> Response:
        query = TransactionsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = query.validated_data["page"]
        member = self.member(request)
        count = member_history_count(member=member)
        offset = (page - 1) * self.page_size
        # A page past the end is empty (the count says why), without reading.
        items = member_history(member=member, offset=offset, limit=self.page_size) if offset < count else []
        base = request.build_absolute_uri(request.path)
        return Response(
            {
                "count": count,
                "next": f"{base}?page={page + 1}" if offset + self.page_size < count else None,
                "previous": f"{base}?page={page - 1}" if page > 1 else None,
                "results": HistoryItemOutput(items, many=True).data,
            }
        )


class ConfirmInput(serializers.Serializer):
    approve = serializers.BooleanField(default=True)


class MeConfirmPaymentView(MemberAPIView):
    @api_operation(
        summary="Approve or decline a payment waiting for you",
        request=ConfirmInput,
        ok={200: PaymentOutput},
        errors=[402, 404, 409, 410, 422, 423, 503],
    )
    def post(self, request: Request, payment_id: int) -> Response:
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = self.member(request)
        approve = data.validated_data["approve"]
        try:
            result = order_confirm_payment(payment_id=payment_id, member=member, approve=approve)
        except PaymentNotPending:
            # A retried confirm that already took effect answers like the first.
            payment = member_payment(member=member, payment_id=payment_id)
            wanted = Payment.Status.SUCCEEDED if approve else Payment.Status.DECLINED
            if payment is None or payment.status != wanted:
                raise
            return Response(PaymentOutput(payment).data)
        except WalletError as exc:
            order_payment_declined(payment_id=payment_id, code=exc.code)
            raise
        return Response(PaymentOutput(result.payment).data)
