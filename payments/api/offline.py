"""`POST /api/v1/offline/sales`: the offline till's queued sales, sent on
reconnect. Callers: a terminal (`Authorization: Bearer`), or the browser till
itself, with the barista's session (CSRF enforced) and the store of the
barista's till. Each sale carries its own `idempotency_key`; the answer is
200 with one result per sale, in order (payments.services.offline.sync)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cafe_loyalty.core.apifields import StrictIntegerField
from payments.api.common import MAX_AMOUNT, JsonAPIView
from payments.api.schema import api_operation
from payments.authentication import PortalSessionAuthentication, TerminalAuthentication, TerminalRateThrottle
from payments.models import Terminal
from payments.services.offline.sync import MAX_BATCH, LineIn, SaleIn, TenderIn, offline_sales_sync
from payments.views.till_common import till_store


class OfflineLineInput(serializers.Serializer):
    sku = serializers.SlugField(max_length=40)
    quantity = StrictIntegerField(min_value=1, max_value=99)
    unit_price = StrictIntegerField(min_value=0, max_value=MAX_AMOUNT, help_text="minor units, as the till showed it")
    modifiers = serializers.ListField(child=StrictIntegerField(min_value=1), required=False, max_length=20)


class OfflineTenderInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["cash", "card", "offline_wallet"])
    amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT)
    cash_received = StrictIntegerField(min_value=0, max_value=MAX_AMOUNT, required=False)
    code = serializers.CharField(max_length=400, required=False, help_text='offline_wallet: the "OF1." code scanned')

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == "offline_wallet" and not attrs.get("code"):
            raise serializers.ValidationError({"code": "An offline_wallet tender needs the code."})
        return attrs


class OfflineSaleInput(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=200)
    rung_up_at = serializers.DateTimeField()
    shift = StrictIntegerField(min_value=1, required=False, allow_null=True)
    lines = OfflineLineInput(many=True, min_length=1, max_length=100)  # type: ignore[call-arg]
    tenders = OfflineTenderInput(many=True, max_length=10)  # type: ignore[call-arg]


class OfflineSalesInput(serializers.Serializer):
    sales = OfflineSaleInput(many=True, max_length=MAX_BATCH)  # type: ignore[call-arg]  # the stubs lag DRF 3.15


class OfflineSaleResultOutput(serializers.Serializer):
    idempotency_key = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "replayed", "refused"])
    order = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(allow_null=True, help_text="why it was refused")
    detail = serializers.CharField(allow_null=True)


class OfflineSalesOutput(serializers.Serializer):
    results = OfflineSaleResultOutput(many=True)


class IsTerminalOrTill(BasePermission):
    """A terminal, or a signed-in barista allowed on the till."""

    message = "Send a terminal key, or sign in at the till."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, Terminal):
            return True
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("payments.use_pos"))


def _fingerprint(raw: Any) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


class OfflineSalesView(JsonAPIView):
    authentication_classes = [TerminalAuthentication, PortalSessionAuthentication]
    permission_classes = [IsTerminalOrTill]
    throttle_classes = [TerminalRateThrottle]

    def get_authenticators(self) -> list[Any]:
        # The contract (the schema) names the terminal key; the barista's
        # session is the browser till's own way in, like its HTML pages.
        if getattr(self, "swagger_fake_view", False):
            return [TerminalAuthentication()]
        return super().get_authenticators()

    @api_operation(
        summary="Record sales an offline till rang up (each exactly once)",
        description=(
            "One result per sale, in order: created, replayed (the key was seen with the same sale), or refused "
            "with a code (idempotency_key_reused, offline_sale_invalid, offline_code_invalid)."
        ),
        request=OfflineSalesInput,
        ok={200: OfflineSalesOutput},
        errors=[403],
    )
    def post(self, request: Request) -> Response:
        data = OfflineSalesInput(data=request.data)
        data.is_valid(raise_exception=True)
        raw_sales = request.data["sales"]
        sales = [
            SaleIn(
                idempotency_key=sale["idempotency_key"],
                rung_up_at=sale["rung_up_at"],
                shift=sale.get("shift"),
                lines=[LineIn(**line) for line in sale["lines"]],
                tenders=[TenderIn(**tender) for tender in sale["tenders"]],
                fingerprint=_fingerprint(raw),
            )
            for sale, raw in zip(data.validated_data["sales"], raw_sales, strict=True)
        ]
        terminal = request.auth if isinstance(request.auth, Terminal) else None
        store = terminal.store if terminal is not None else till_store(request._request)
        results = offline_sales_sync(
            store=store, terminal=terminal, barista=None if terminal else request.user, sales=sales
        )
        return Response(OfflineSalesOutput({"results": results}).data)
