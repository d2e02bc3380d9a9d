"""Top-ups at the counter (terminal API)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from members.cards import is_valid_card_number
from members.selectors import member_by_card_number
from payments.api.common import MAX_AMOUNT, TerminalAPIView, terminal_of
from payments.api.schema import TopUpAmountField, api_operation
from payments.exceptions import MemberNotFound
from payments.idempotency import run_idempotent
from payments.models import IdempotencyRecord, TopUp
from payments.selectors.ledger import wallet_balance_after
from payments.services.top_ups import wallet_top_up

# --- Top-ups ---------------------------------------------------------------------


class TopUpInput(serializers.Serializer):
    member = serializers.CharField(max_length=12, help_text="card number")
    amount = TopUpAmountField(min_value=1, max_value=MAX_AMOUNT, help_text="minor units")
    tender = serializers.ChoiceField(choices=[TopUp.Tender.CASH, TopUp.Tender.CARD])
    card_reference = serializers.RegexField(
        r"^[0-9A-Za-z-]{4,40}$",
        required=False,
        help_text="the card terminal's authorisation code from the slip; required when tender is card",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["tender"] == TopUp.Tender.CARD and not data.get("card_reference"):
            raise serializers.ValidationError({"card_reference": "Required for a card top-up."})
        return data


class TopUpOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    bonus = serializers.IntegerField()
    wallet_balance = serializers.IntegerField()


class TopUpsView(TerminalAPIView):
    @api_operation(
        summary="Top up a wallet at the counter",
        request=TopUpInput,
        ok={201: TopUpOutput},
        errors=[404, 409, 422],
        idempotent=True,
    )
    def post(self, request: Request) -> Response:
        return run_idempotent(request, lambda claim: self._top_up(request, claim), rebuild=top_up_replay)

    def _top_up(self, request: Request, claim: IdempotencyRecord) -> Response:
        data = TopUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        card = data.validated_data["member"]
        member = member_by_card_number(card_number=card) if is_valid_card_number(card) else None
        if member is None:
            self.guess_failed(request, what="unknown card number")
            raise MemberNotFound("No member with that card number.")
        terminal = terminal_of(request)
        result = wallet_top_up(
            member=member,
            amount=data.validated_data["amount"],
            tender=data.validated_data["tender"],
            store=terminal.store,
            terminal=terminal,
            gateway_reference=data.validated_data.get("card_reference", ""),
            idempotency_record=claim,
        )
        return Response(top_up_body(result.top_up, result.wallet_balance), status=status.HTTP_201_CREATED)


def top_up_body(top_up: TopUp, wallet_balance: int) -> dict[str, Any]:
    body = {"id": top_up.pk, "amount": top_up.amount, "bonus": top_up.bonus, "wallet_balance": wallet_balance}
    return dict(TopUpOutput(body).data)


def top_up_replay(claim: IdempotencyRecord) -> Response | None:
    """The 201 of a top-up whose request committed but never stored its answer."""
    top_up = TopUp.objects.filter(idempotency_record=claim).first()
    if top_up is None:
        return None
    last = top_up.transfers.order_by("-pk").first()
    assert last is not None  # a top-up always has its transfer
    balance = wallet_balance_after(wallet_id=last.credit_account_id, transfer_id=last.pk)
    return Response(top_up_body(top_up, balance), status=status.HTTP_201_CREATED)
