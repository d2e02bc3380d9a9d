"""Wallet payments by one-time code, and their refunds (terminal API)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.common import IDEMPOTENCY_HEADER, MAX_AMOUNT, PROBLEM, TerminalAPIView, terminal_of
from payments.idempotency import run_idempotent
from payments.models import IdempotencyRecord, Payment, Refund, Transfer
from payments.selectors import payment_for_terminal
from payments.services.ledger import wallet_balance_after
from payments.services.wallet import payment_create, payment_expire_if_due, payment_refund

# --- Payments ----------------------------------------------------------------------


class PaymentInput(serializers.Serializer):
    payment_code = serializers.RegexField(r"^[0-9]{1,40}$", max_length=40, help_text="the 18-digit code")
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="minor units")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class PaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    refunded_amount = serializers.IntegerField()
    points_earned = serializers.IntegerField()
    member = serializers.CharField()
    reference = serializers.CharField()
    decline_code = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    confirm_by = serializers.DateTimeField(allow_null=True)


def payment_body(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "status": payment.status,
        "amount": payment.amount,
        "refunded_amount": payment.refunded_amount,
        "points_earned": payment.points_earned,
        "member": payment.member.card_number,
        "reference": payment.reference,
        "decline_code": payment.decline_code or None,
        "created_at": payment.created_at.isoformat(),
        "confirm_by": payment.confirm_by.isoformat() if payment.confirm_by else None,
    }


class PaymentsView(TerminalAPIView):
    @extend_schema(
        request=PaymentInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: PaymentOutput,
            202: inline_serializer(
                "PaymentPending", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            ),
            400: PROBLEM,
            402: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            410: PROBLEM,
            422: PROBLEM,
            423: PROBLEM,
        },
        summary="Pay from a member's wallet with their one-time payment code",
    )
    def post(self, request: Request) -> Response:
        return run_idempotent(request, lambda claim: self._pay(request, claim), rebuild=payment_replay)

    def _pay(self, request: Request, claim: IdempotencyRecord) -> Response:
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = payment_create(
            code=data.validated_data["payment_code"],
            amount=data.validated_data["amount"],
            terminal=terminal_of(request),
            reference=data.validated_data.get("reference", ""),
            idempotency_record=claim,
        )
        payment = result.payment
        if payment.status == Payment.Status.REQUIRES_CONFIRMATION:
            return Response(payment_pending_body(payment), status=status.HTTP_202_ACCEPTED)
        body = payment_body(payment)
        body["wallet_balance"] = result.wallet_balance
        return Response(body, status=status.HTTP_201_CREATED)


def payment_pending_body(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "status": Payment.Status.REQUIRES_CONFIRMATION,
        "amount": payment.amount,
        "member": payment.member.card_number,
        "confirm_by": payment.confirm_by.isoformat() if payment.confirm_by else None,
    }


def payment_replay(claim: IdempotencyRecord) -> Response | None:
    """The answer of a payment whose request committed but never stored it, as
    it was then: 202 if it waited for the member, else 201 with the balance
    right after it (whatever happened to the payment since)."""
    payment = Payment.objects.select_related("member").filter(idempotency_record=claim).first()
    if payment is None:
        return None
    if payment.confirm_by is not None:
        return Response(payment_pending_body(payment), status=status.HTTP_202_ACCEPTED)
    transfer = payment.transfers.filter(kind=Transfer.Kind.PAYMENT).order_by("pk").first()
    assert transfer is not None  # a payment answered 201 always has its transfer
    body = payment_body(payment)
    body.update(
        status=Payment.Status.SUCCEEDED,
        refunded_amount=0,
        decline_code=None,
        wallet_balance=wallet_balance_after(wallet_id=transfer.debit_account_id, transfer_id=transfer.pk),
    )
    return Response(body, status=status.HTTP_201_CREATED)


class PaymentDetailView(TerminalAPIView):
    @extend_schema(responses={200: PaymentOutput, 404: PROBLEM}, summary="A payment's current state")
    def get(self, request: Request, payment_id: int) -> Response:
        payment = payment_for_terminal(payment_id=payment_id, store_id=terminal_of(request).store_id)
        if payment is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("No such payment.")
        payment_expire_if_due(payment=payment)
        return Response(payment_body(payment))


class RefundInput(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    payment = serializers.IntegerField()
    wallet_balance = serializers.IntegerField()


class RefundsView(TerminalAPIView):
    @extend_schema(
        request=RefundInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: RefundOutput, 400: PROBLEM, 403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        summary="Refund all or part of a payment to the wallet",
    )
    def post(self, request: Request, payment_id: int) -> Response:
        return run_idempotent(request, lambda claim: self._refund(request, payment_id, claim), rebuild=refund_replay)

    def _refund(self, request: Request, payment_id: int, claim: IdempotencyRecord) -> Response:
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        if payment_for_terminal(payment_id=payment_id, store_id=terminal_of(request).store_id) is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("No such payment.")
        refund, balance = payment_refund(
            payment_id=payment_id,
            amount=data.validated_data.get("amount"),
            reason=data.validated_data.get("reason", ""),
            terminal=terminal_of(request),
            idempotency_record=claim,
        )
        return Response(refund_body(refund, balance), status=status.HTTP_201_CREATED)


def refund_body(refund: Refund, wallet_balance: int) -> dict[str, Any]:
    return {"id": refund.pk, "amount": refund.amount, "payment": refund.payment_id, "wallet_balance": wallet_balance}


def refund_replay(claim: IdempotencyRecord) -> Response | None:
    """The 201 of a refund whose request committed but never stored its answer."""
    refund = Refund.objects.filter(idempotency_record=claim).first()
    if refund is None:
        return None
    transfer = refund.transfers.order_by("pk").first()
    assert transfer is not None  # a refund always has its transfer
    balance = wallet_balance_after(wallet_id=transfer.credit_account_id, transfer_id=transfer.pk)
    return Response(refund_body(refund, balance), status=status.HTTP_201_CREATED)
