"""Order ahead over the API: the member orders, follows and cancels their
orders (`/api/v1/me/orders…`); the store's terminal reads its queue and moves
orders forward (`/api/v1/orders…`). The services decide everything; these
views read the body, call them and answer."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from cafe_loyalty.core.apifields import StrictBooleanField, StrictIntegerField
from members.models import Member
from payments.api.ahead_output import (
    AheadOrderCancelledOutput,
    AheadOrderOutput,
    AheadOrderPlacedOutput,
    QueueOrderOutput,
)
from payments.api.common import MemberAPIView, TerminalAPIView, terminal_of
from payments.api.schema import api_operation
from payments.idempotency import run_idempotent
from payments.models import IdempotencyRecord, Order, Product, Store
from payments.selectors.ahead import (
    ahead_order_for_store,
    ahead_queue,
    member_ahead_order,
    member_ahead_orders,
    store_for_ordering,
)
from payments.selectors.wallet import wallet_balance
from payments.services.ahead import (
    MAX_LINES,
    MAX_QUANTITY,
    AheadLine,
    ahead_order_advance,
    ahead_order_cancel,
    ahead_order_place,
    store_zone,
)

MAX_ID = 2**31 - 1

# --- The member's orders ---------------------------------------------------------------


class OrderLineInput(serializers.Serializer):
    product = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="a product id from the store's menu")
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    modifiers = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        max_length=10,
        default=list,
        help_text="option ids of this product, one per group; a group left out takes its default",
    )
    note = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class OrderInput(serializers.Serializer):
    store = serializers.SlugField(max_length=50)
    lines = serializers.ListField(child=OrderLineInput(), allow_empty=False, max_length=MAX_LINES)
    pickup = serializers.CharField(
        max_length=40,
        default="asap",
        help_text='"asap", or a time today: "HH:MM" at the store, or an ISO 8601 date-time with its offset',
    )
    coupon = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    reward = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="the id of a reward of the catalogue to redeem now: its points are spent and its coupon applied to "
        "this order (422 insufficient_points or reward_unavailable, or the coupon's own refusal; nothing spent)",
    )
    use_points = StrictBooleanField(
        required=False,
        default=False,
        help_text="pay what your points cover first (as the till's Points tender), the wallet the rest; "
        "422 insufficient_points when you have none",
    )


def _pickup(text: str, store: Store) -> datetime | None:
    """None for as soon as possible; else an aware date-time (a bare time is
    today at the store)."""
    text = text.strip()
    if text.lower() == "asap":
        return None
    at: datetime | None = None
    try:
        at = parse_datetime(text)
        bare: time | None = None if at is not None else parse_time(text)
    except ValueError:
        bare = None
    if at is None and bare is not None:
        zone = store_zone(store)
        at = datetime.combine(timezone.now().astimezone(zone).date(), bare, zone)
    if at is None or timezone.is_naive(at):
        raise ValidationError({"pickup": ['"asap", "HH:MM" or an ISO 8601 date-time with its offset.']})
    return at


def _lines(data: list[dict[str, Any]]) -> list[AheadLine]:
    products = Product.objects.prefetch_related("modifiers").in_bulk([line["product"] for line in data])
    unknown = sorted({line["product"] for line in data} - set(products))
    if unknown:
        raise ValidationError({"lines": [f"No such product: {pk}." for pk in unknown]})
    return [
        AheadLine(
            product=products[line["product"]],
            quantity=line["quantity"],
            modifier_ids=tuple(line["modifiers"]),
            note=line["note"],
        )
        for line in data
    ]


def _order_body(order: Order, member: Member, output: type[AheadOrderOutput] = AheadOrderPlacedOutput) -> Any:
    order.wallet_balance = wallet_balance(member=member)  # type: ignore[attr-defined]
    return output(order).data


def _placed_answer(order_id: int, member: Member) -> Response:
    order = member_ahead_order(member_id=member.pk, order_id=order_id)
    assert order is not None  # just placed, or linked to the claim
    body = _order_body(order, member)
    waiting = order.status == Order.Status.OPEN and body["payment"] is not None
    return Response(body, status=status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED)


class MeOrdersView(MemberAPIView):
    @extend_schema(operation_id="v1_me_orders_list")
    @api_operation(summary="Your orders ahead, newest first (the last 50)", ok={200: AheadOrderOutput(many=True)})
    def get(self, request: Request) -> Response:
        orders = member_ahead_orders(member_id=self.member(request).pk)
        return Response(AheadOrderOutput(orders, many=True).data)

    @api_operation(
        summary="Order ahead for pickup, paid from your wallet",
        description=(
            "201 when paid (it is in the store's queue); 202 when the wallet payment waits for you to confirm it "
            "(POST /api/v1/me/payments/{id}/confirm): it joins the queue once confirmed. "
            "A reward and points are taken as at the till, in the same transaction: "
            "nothing is charged and no point spent on a refusal."
        ),
        request=OrderInput,
        ok={201: AheadOrderPlacedOutput, 202: AheadOrderPlacedOutput},
        errors=[402, 404, 409, 410, 422, 423, 503],
        idempotent=True,
    )
    def post(self, request: Request) -> Response:
        return run_idempotent(request, lambda claim: self._place(request, claim), rebuild=self._replay(request))

    def _place(self, request: Request, claim: IdempotencyRecord) -> Response:
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        store = store_for_ordering(slug=values["store"])
        if store is None:
            raise ValidationError({"store": ["No such store."]})
        member = self.member(request)
        placed = ahead_order_place(
            member=member,
            store=store,
            lines=_lines(values["lines"]),
            pickup_at=_pickup(values["pickup"], store),
            coupon_code=values["coupon"],
            reward=values["reward"],
            use_points=values["use_points"],
            idempotency_record=claim,
        )
        return _placed_answer(placed.order.pk, member)

    def _replay(self, request: Request) -> Any:
        def rebuild(claim: IdempotencyRecord) -> Response | None:
            """The answer of an order whose request committed but never stored it."""
            order = Order.objects.filter(idempotency_record=claim).only("pk").first()
            return _placed_answer(order.pk, self.member(request)) if order is not None else None

        return rebuild


def _members_order(view: MemberAPIView, request: Request, order_id: int) -> tuple[Order, Member]:
    member = view.member(request)
    order = member_ahead_order(member_id=member.pk, order_id=order_id)
    if order is None:
        raise NotFound("No such order.")
    return order, member


class MeOrderDetailView(MemberAPIView):
    @api_operation(summary="One of your orders ahead, as it is now", ok={200: AheadOrderOutput}, errors=[404])
    def get(self, request: Request, order_id: int) -> Response:
        order, _member = _members_order(self, request, order_id)
        return Response(AheadOrderOutput(order).data)


class MeOrderCancelView(MemberAPIView):
    @api_operation(
        summary="Cancel your order ahead before the baristas start it; it is refunded in full at once",
        description="A retry of a cancel that took effect answers the same. 409 order_not_cancellable once started.",
        ok={200: AheadOrderCancelledOutput},
        errors=[404, 409, 415, 422],
    )
    def post(self, request: Request, order_id: int) -> Response:
        order, member = _members_order(self, request, order_id)
        ahead_order_cancel(order=order, member=member)
        order, member = _members_order(self, request, order_id)
        return Response(_order_body(order, member, AheadOrderCancelledOutput))


# --- The store's terminal ----------------------------------------------------------------


class QueueQuery(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[Order.Channel.AHEAD], default=Order.Channel.AHEAD)
    status = serializers.ChoiceField(choices=Order.PrepStatus.choices, required=False)


class OrdersView(TerminalAPIView):
    @api_operation(
        summary="The store's orders ahead: without a status, the live queue (paid, not collected), pickup time first",
        parameters=[
            OpenApiParameter("channel", {"type": "string", "enum": [Order.Channel.AHEAD]}, required=False),
            OpenApiParameter("status", {"type": "string", "enum": list(Order.PrepStatus.values)}, required=False),
        ],
        ok={200: QueueOrderOutput(many=True)},
        errors=[400],
    )
    def get(self, request: Request) -> Response:
        query = QueueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data.get("status")
        orders = ahead_queue(store=terminal_of(request).store, prep_statuses=[wanted] if wanted else None)
        return Response(QueueOrderOutput(orders, many=True).data)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Order.PrepStatus.PREPARING, Order.PrepStatus.READY, Order.PrepStatus.COLLECTED]
    )


class OrderStatusView(TerminalAPIView):
    @api_operation(
        summary="Move an order ahead forward: preparing (started), ready (the member is told), collected",
        description="Only forward; the same status again changes nothing. 409 order_status_invalid otherwise.",
        request=StatusInput,
        ok={200: QueueOrderOutput},
        errors=[404, 409],
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        store = terminal_of(request).store
        order = ahead_order_for_store(store=store, order_id=order_id)
        if order is None:
            raise NotFound("No such order at this store.")
        ahead_order_advance(order=order, status=data.validated_data["status"])
        return Response(QueueOrderOutput(ahead_order_for_store(store=store, order_id=order_id)).data)
