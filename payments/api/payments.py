"""Wallet payments by one-time code, and their refunds (terminal API).

A payment here is a sale like any other: the order services make it an order
(channel api) with one wallet tender, and a refund goes through the order's
refund service, so points, receipts and the Z report stay right. Bodies are
the output serializers the schema is generated from; the payment's own
request and answers, the API's hottest path, go through them with their
fields bound once (cafe_loyalty.core.serializing)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cafe_loyalty.core.apifields import StrictIntegerField, UTCDateTimeField
from cafe_loyalty.core.serializing import represent, validated
from payments.api.common import MAX_AMOUNT, TerminalAPIView, terminal_of
from payments.api.schema import DeclineCodeField, api_operation
from payments.exceptions import PaymentCodeInvalid, PaymentNotRefundable
from payments.idempotency import run_idempotent
from payments.models import IdempotencyRecord, Payment, Refund, Transfer
from payments.selectors.ledger import wallet_balance_after
from payments.selectors.wallet import payment_for_terminal
from payments.services.codes import hash_payment_code
from payments.services.orders import order_pay_by_code, order_refresh_pending, order_refund

# --- Payments ----------------------------------------------------------------------


class PaymentInput(serializers.Serializer):
    payment_code = serializers.RegexField(r"^[0-9]{1,40}$", max_length=40, help_text="the 18-digit code")
    amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="minor units")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class PaymentOutput(serializers.Serializer):
    """A payment as terminals see it (read from a Payment with its order)."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    amount = serializers.IntegerField()
    refunded_amount = serializers.IntegerField()
    points_earned = serializers.SerializerMethodField()
    member = serializers.CharField(source="member.card_number")
    reference = serializers.CharField()
    decline_code = serializers.SerializerMethodField()
    created_at = UTCDateTimeField()
    confirm_by = UTCDateTimeField(allow_null=True)

    @extend_schema_field(serializers.IntegerField())
    def get_points_earned(self, payment: Payment) -> int:
        """The points its order earned (0 until the order is paid)."""
        tender = payment.tender if hasattr(payment, "tender") else None
        return tender.order.points_earned if tender is not None else 0

    @extend_schema_field(DeclineCodeField(allow_null=True))
    def get_decline_code(self, payment: Payment) -> str | None:
        return payment.decline_code or None


class PaymentCreatedOutput(PaymentOutput):
    wallet_balance = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField())
    def get_wallet_balance(self, payment: Payment) -> int:
        return int(self.context["wallet_balance"])


class PaymentPendingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[Payment.Status.REQUIRES_CONFIRMATION])
    amount = serializers.IntegerField()
    member = serializers.CharField(source="member.card_number")
    confirm_by = UTCDateTimeField(help_text="the member must confirm by then, or it expires")


class PaymentsView(TerminalAPIView):
    @api_operation(
        summary="Pay from a member's wallet with their one-time payment code",
        description="201 when paid; 202 when the member must confirm it in the app first (poll the payment).",
        request=PaymentInput,
        ok={201: PaymentCreatedOutput, 202: PaymentPendingOutput},
        errors=[402, 404, 409, 410, 422, 423, 503],
        idempotent=True,
    )
    def post(self, request: Request) -> Response:
        return run_idempotent(request, lambda claim: self._pay(request, claim), rebuild=payment_replay)

    def _pay(self, request: Request, claim: IdempotencyRecord) -> Response:
        data = validated(PaymentInput, request.data)
        terminal = terminal_of(request)
        try:
            sale = order_pay_by_code(
                code_hash=hash_payment_code(data["payment_code"]),
                amount=data["amount"],
                store=terminal.store,
                terminal=terminal,
                reference=data.get("reference", ""),
                idempotency_record=claim,
            )
        except PaymentCodeInvalid:
            self.guess_failed(request, what="unknown payment code")
            raise
        return payment_answer(sale.payment, wallet_balance=sale.wallet_balance)


def payment_answer(payment: Payment, *, wallet_balance: int) -> Response:
    """201 with the payment and the balance after it, or 202 while it waits
    for the member."""
    if payment.status == Payment.Status.REQUIRES_CONFIRMATION:
        return Response(represent(PaymentPendingOutput, payment), status=status.HTTP_202_ACCEPTED)
    body = represent(PaymentCreatedOutput, payment, context={"wallet_balance": wallet_balance})
    return Response(body, status=status.HTTP_201_CREATED)


def payment_replay(claim: IdempotencyRecord) -> Response | None:
    """The answer of a payment whose request committed but never stored it, as
    it was then: 202 if it waited for the member, else 201 with the balance
    right after it (whatever happened to the payment since)."""
    payment = Payment.objects.select_related("member", "tender__order").filter(idempotency_record=claim).first()
    if payment is None:
        return None
    if payment.confirm_by is not None:
        payment.status = Payment.Status.REQUIRES_CONFIRMATION
        return payment_answer(payment, wallet_balance=0)
    transfer = payment.transfers.filter(kind=Transfer.Kind.PAYMENT).order_by("pk").first()
    assert transfer is not None  # a payment answered 201 always has its transfer
    payment.status, payment.refunded_amount, payment.decline_code = Payment.Status.SUCCEEDED, 0, ""
    balance = wallet_balance_after(wallet_id=transfer.debit_account_id, transfer_id=transfer.pk)
    return payment_answer(payment, wallet_balance=balance)


def _payment_or_404(request: Request, payment_id: int) -> Payment:
    payment = payment_for_terminal(payment_id=payment_id, store_id=terminal_of(request).store_id)
    if payment is None:
        raise NotFound("No such payment.")
    return payment


class PaymentDetailView(TerminalAPIView):
    @api_operation(summary="A payment's current state", ok={200: PaymentOutput}, errors=[404])
    def get(self, request: Request, payment_id: int) -> Response:
        payment = _payment_or_404(request, payment_id)
        if payment.status == Payment.Status.REQUIRES_CONFIRMATION and hasattr(payment, "tender"):
            order_refresh_pending(order=payment.tender.order)  # expires it when its time is up
            payment = _payment_or_404(request, payment_id)
        return Response(PaymentOutput(payment).data)


# --- Refunds ----------------------------------------------------------------------


class RefundInput(serializers.Serializer):
    amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT, required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    payment = serializers.IntegerField(source="payment_id")
    wallet_balance = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField())
    def get_wallet_balance(self, refund: Refund) -> int:
        return int(self.context["wallet_balance"])


class RefundsView(TerminalAPIView):
    @api_operation(
        summary="Refund all or part of a payment to the wallet (through its order)",
        description="Without an amount (a body of {} or no body at all) it refunds what is left.",
        request=RefundInput,
        ok={201: RefundOutput},
        errors=[404, 409, 422],
        idempotent=True,
    )
    def post(self, request: Request, payment_id: int) -> Response:
        return run_idempotent(request, lambda claim: self._refund(request, payment_id, claim), rebuild=refund_replay)

    def _refund(self, request: Request, payment_id: int, claim: IdempotencyRecord) -> Response:
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = _payment_or_404(request, payment_id)
        if not hasattr(payment, "tender"):
            raise PaymentNotRefundable("This payment has no order to refund.")
        done = order_refund(
            order=payment.tender.order,
            terminal=terminal_of(request),
            amount=data.validated_data.get("amount"),
            reason=data.validated_data.get("reason", ""),
            payment_id=payment.pk,
            idempotency_record=claim,
        )
        assert done.wallet_refund is not None and done.wallet_balance is not None  # a wallet tender's refund
        body = RefundOutput(done.wallet_refund, context={"wallet_balance": done.wallet_balance}).data
        return Response(body, status=status.HTTP_201_CREATED)


def refund_replay(claim: IdempotencyRecord) -> Response | None:
    """The 201 of a refund whose request committed but never stored its answer."""
    refund = Refund.objects.filter(idempotency_record=claim).first()
    if refund is None:
        return None
    transfer = refund.transfers.order_by("pk").first()
    assert transfer is not None  # a refund always has its transfer
    balance = wallet_balance_after(wallet_id=transfer.credit_account_id, transfer_id=transfer.pk)
    return Response(RefundOutput(refund, context={"wallet_balance": balance}).data, status=status.HTTP_201_CREATED)
