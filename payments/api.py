"""The REST API (`/api/v1/`): thin views over the services; contract in DESIGN.md.

Money POSTs go through `run_idempotent`; domain errors are `Problem`s that the
project's exception handler turns into RFC 9457 problem details.
"""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.cards import is_valid_card_number
from members.models import Member
from members.privacy import mask_email, mask_phone
from members.selectors import member_by_card_number
from members.services import member_enrol_at_till, member_get_or_create_for_user
from payments.authentication import (
    IsMember,
    IsTerminal,
    MemberRateThrottle,
    PortalSessionAuthentication,
    TerminalAuthentication,
    TerminalRateThrottle,
)
from payments.exceptions import MemberNotFound, PaymentNotPending
from payments.idempotency import run_idempotent
from payments.models import IdempotencyRecord, Payment, Refund, Terminal, TopUp, Transfer
from payments.selectors import member_history, member_portal_summary, member_tier_name, payment_for_terminal
from payments.services.codes import payment_code_issue
from payments.services.ledger import wallet_balance_after
from payments.services.wallet import (
    payment_confirm,
    payment_create,
    payment_expire_if_due,
    payment_refund,
    wallet_top_up,
)

MAX_AMOUNT = 10**12  # far above any cafe order; keeps integers sane


def terminal_of(request: Request) -> Terminal:
    assert isinstance(request.auth, Terminal)  # guaranteed by IsTerminal
    return request.auth


class TerminalAPIView(APIView):
    authentication_classes = [TerminalAuthentication]
    permission_classes = [IsTerminal]
    throttle_classes = [TerminalRateThrottle]


class MemberAPIView(APIView):
    authentication_classes = [PortalSessionAuthentication, XSessionTokenAuthentication]
    permission_classes = [IsMember]
    throttle_classes = [MemberRateThrottle]

    def member(self, request: Request) -> Member:
        return member_get_or_create_for_user(user=request.user)  # type: ignore[arg-type]


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True, description="Unique per logical request"
)
PROBLEM = OpenApiResponse(description="Problem details (application/problem+json) with a stable `code`")


def member_summary(member: Member, *, masked: bool) -> dict[str, Any]:
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
    tier = serializers.CharField(allow_null=True)
    points_balance = serializers.IntegerField()
    wallet_balance = serializers.IntegerField()


# --- Members -------------------------------------------------------------------


class MemberCreateInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=80)
    phone = serializers.RegexField(r"^[0-9+\- ()]{6,32}$", required=False, allow_blank=True)


class MembersView(TerminalAPIView):
    @extend_schema(
        request=MemberCreateInput,
        responses={201: MemberSummaryOutput, 409: PROBLEM},
        summary="Enrol a member at the till",
    )
    def post(self, request: Request) -> Response:
        data = MemberCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_enrol_at_till(
            email=data.validated_data["email"],
            name=data.validated_data["name"],
            phone=data.validated_data.get("phone", ""),
        )
        return Response(member_summary(member, masked=False), status=status.HTTP_201_CREATED)


class MemberDetailView(TerminalAPIView):
    @extend_schema(responses={200: MemberSummaryOutput, 404: PROBLEM}, summary="Look up a member by card number")
    def get(self, request: Request, card_number: str) -> Response:
        member = member_by_card_number(card_number=card_number) if is_valid_card_number(card_number) else None
        if member is None:
            raise MemberNotFound("No member with that card number.")
        return Response(member_summary(member, masked=True))


# --- Top-ups ---------------------------------------------------------------------


class TopUpInput(serializers.Serializer):
    member = serializers.CharField(max_length=12, help_text="card number")
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="minor units")
    tender = serializers.ChoiceField(choices=[TopUp.Tender.CASH, TopUp.Tender.CARD])


class TopUpOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    bonus = serializers.IntegerField()
    wallet_balance = serializers.IntegerField()


class TopUpsView(TerminalAPIView):
    @extend_schema(
        request=TopUpInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: TopUpOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        summary="Top up a wallet at the counter",
    )
    def post(self, request: Request) -> Response:
        return run_idempotent(request, lambda claim: self._top_up(request, claim), rebuild=top_up_replay)

    def _top_up(self, request: Request, claim: IdempotencyRecord) -> Response:
        data = TopUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        card = data.validated_data["member"]
        member = member_by_card_number(card_number=card) if is_valid_card_number(card) else None
        if member is None:
            raise MemberNotFound("No member with that card number.")
        terminal = terminal_of(request)
        result = wallet_top_up(
            member=member,
            amount=data.validated_data["amount"],
            tender=data.validated_data["tender"],
            store=terminal.store,
            terminal=terminal,
            idempotency_record=claim,
        )
        return Response(top_up_body(result.top_up, result.wallet_balance), status=status.HTTP_201_CREATED)


def top_up_body(top_up: TopUp, wallet_balance: int) -> dict[str, Any]:
    return {"id": top_up.pk, "amount": top_up.amount, "bonus": top_up.bonus, "wallet_balance": wallet_balance}


def top_up_replay(claim: IdempotencyRecord) -> Response | None:
    """The 201 of a top-up whose request committed but never stored its answer."""
    top_up = TopUp.objects.filter(idempotency_record=claim).first()
    if top_up is None:
        return None
    last = top_up.transfers.order_by("-pk").first()
    assert last is not None  # a top-up always has its transfer
    balance = wallet_balance_after(wallet_id=last.credit_account_id, transfer_id=last.pk)
    return Response(top_up_body(top_up, balance), status=status.HTTP_201_CREATED)


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


# --- The member's own API ---------------------------------------------------------------


class MeOutput(serializers.Serializer):
    card_number = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    wallet_balance = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    tier = serializers.CharField(allow_null=True)
    tier_progress = serializers.DictField(allow_null=True)
    frozen = serializers.BooleanField()


def tier_progress_body(member: Member) -> dict[str, Any] | None:
    try:
        from members.selectors import tier_progress  # type: ignore[attr-defined]
    except ImportError:
        return None
    from django.utils import timezone

    progress = tier_progress(member=member, now=timezone.now())
    return {
        key: (str(value) if key in {"tier", "next_tier"} and value is not None else value)
        for key, value in vars(progress).items()
        if isinstance(value, (int, str, float, type(None))) or key in {"tier", "next_tier"}
    }


class MeView(MemberAPIView):
    @extend_schema(responses=MeOutput, summary="The signed-in member's card, balances and tier progress")
    def get(self, request: Request) -> Response:
        member = self.member(request)
        summary = member_portal_summary(member=member)
        return Response(
            {
                "card_number": member.card_number,
                "email": member.email,
                "name": member.display_name,
                "wallet_balance": summary.wallet_balance,
                "points_balance": summary.points_balance,
                "tier": member_tier_name(member),
                "tier_progress": tier_progress_body(member),
                "frozen": summary.is_frozen,
            }
        )


class PaymentCodeOutput(serializers.Serializer):
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()


class MePaymentCodeView(MemberAPIView):
    @extend_schema(request=None, responses={201: PaymentCodeOutput}, summary="Issue a one-time payment code")
    def post(self, request: Request) -> Response:
        issued = payment_code_issue(member=self.member(request))
        return Response(
            {"code": issued.code, "expires_at": issued.expires_at.isoformat()}, status=status.HTTP_201_CREATED
        )


class HistoryItemOutput(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    type = serializers.CharField()
    amount = serializers.IntegerField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    reference = serializers.CharField()


class MeTransactionsView(MemberAPIView):
    page_size = 25

    @extend_schema(
        parameters=[OpenApiParameter("page", int, required=False)],
        responses=inline_serializer(
            "TransactionPage",
            {
                "count": serializers.IntegerField(allow_null=True),
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": HistoryItemOutput(many=True),
            },
        ),
        summary="Wallet and points history, newest first",
    )
    def get(self, request: Request) -> Response:
        try:
            page = max(1, min(int(request.query_params.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        offset = (page - 1) * self.page_size
        items = member_history(member=self.member(request), offset=offset, limit=self.page_size + 1)
        has_next = len(items) > self.page_size
        base = request.build_absolute_uri(request.path)
        return Response(
            {
                "count": None,
                "next": f"{base}?page={page + 1}" if has_next else None,
                "previous": f"{base}?page={page - 1}" if page > 1 else None,
                "results": HistoryItemOutput(items[: self.page_size], many=True).data,
            }
        )


class ConfirmInput(serializers.Serializer):
    approve = serializers.BooleanField(default=True)


class MeConfirmPaymentView(MemberAPIView):
    @extend_schema(
        request=ConfirmInput,
        responses={200: PaymentOutput, 402: PROBLEM, 409: PROBLEM, 423: PROBLEM},
        summary="Approve or decline a payment waiting for you",
    )
    def post(self, request: Request, payment_id: int) -> Response:
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = self.member(request)
        approve = data.validated_data["approve"]
        try:
            result = payment_confirm(payment_id=payment_id, member=member, approve=approve)
        except PaymentNotPending:
            # A retried confirm that already took effect answers like the first.
            payment = Payment.objects.filter(pk=payment_id, member=member).select_related("member").first()
            wanted = Payment.Status.SUCCEEDED if approve else Payment.Status.DECLINED
            if payment is None or payment.status != wanted:
                raise
            return Response(payment_body(payment))
        return Response(payment_body(result.payment))
