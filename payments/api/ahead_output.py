"""Bodies of the order-ahead API: stores with their order-ahead state, a
store's menu, and an order ahead (as members and terminals see it)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cafe_loyalty.core.apifields import UTCDateTimeField
from payments.models import Order, Payment, Tender
from payments.services.ahead.hours import CLOSED, OFF, OPEN, PAUSED

# --- Stores and the menu ------------------------------------------------------------


class StoreHoursOutput(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    opens = serializers.TimeField(format="%H:%M", help_text="local time at the store")
    closes = serializers.TimeField(format="%H:%M", help_text="local time at the store")


class AheadStateOutput(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[OPEN, CLOSED, PAUSED, OFF], help_text="off: the store does not take orders ahead"
    )
    reason = serializers.CharField(allow_blank=True, help_text="why it paused")
    paused_until = UTCDateTimeField(allow_null=True, help_text="a pause ends by itself then")
    closes_at = UTCDateTimeField(allow_null=True, help_text="while open")
    next_opening = UTCDateTimeField(allow_null=True, help_text="while closed or paused")
    ready_estimate = UTCDateTimeField(allow_null=True, help_text="while open: when one item ordered now is ready")


class StoreOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    time_zone = serializers.CharField()
    opening_hours = serializers.CharField(allow_blank=True, help_text="for people to read")
    hours = StoreHoursOutput(many=True)
    order_ahead = AheadStateOutput()


class MenuOptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.CharField()
    name = serializers.CharField()
    price = serializers.IntegerField(help_text="minor units, added to the product's price")
    is_default = serializers.BooleanField(help_text="taken when no option of its group is chosen")
    sold_out = serializers.BooleanField()


class MenuProductOutput(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    price = serializers.IntegerField(help_text="minor units, before options")
    image = serializers.CharField(allow_null=True, help_text="the photo's URL, if any")
    sold_out = serializers.BooleanField()
    modifiers = MenuOptionOutput(many=True)


class MenuCategoryOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    products = MenuProductOutput(many=True)


class MenuOutput(serializers.Serializer):
    store = serializers.SlugField()
    categories = MenuCategoryOutput(many=True)


# --- An order ahead ------------------------------------------------------------------


class OrderOptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.CharField()
    name = serializers.CharField()


class OrderLineOutput(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.IntegerField(help_text="product and options, as paid")
    modifiers = OrderOptionOutput(many=True, source="modifiers.all")
    note = serializers.CharField(allow_blank=True)


class OrderPaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    confirm_by = UTCDateTimeField(allow_null=True, help_text="while it waits for the member")


def _wallet_payment(order: Order) -> Payment | None:
    tenders = [t for t in order.tenders.all() if t.kind == Tender.Kind.WALLET and t.payment is not None]
    return tenders[-1].payment if tenders else None


class AheadOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    store = serializers.SlugField(source="store.slug")
    status = serializers.ChoiceField(
        choices=Order.PrepStatus.choices, source="prep_status", help_text="received → preparing → ready → collected"
    )
    order_status = serializers.ChoiceField(
        choices=Order.Status.choices, source="status", help_text="open while the payment waits for the member"
    )
    subtotal = serializers.IntegerField()
    discount = serializers.IntegerField()
    total = serializers.IntegerField()
    refunded_amount = serializers.IntegerField()
    points_earned = serializers.IntegerField()
    pickup_at = UTCDateTimeField(allow_null=True, help_text="null: as soon as possible")
    ready_estimate = UTCDateTimeField(allow_null=True)
    created_at = UTCDateTimeField()
    paid_at = UTCDateTimeField(allow_null=True)
    started_at = UTCDateTimeField(allow_null=True)
    ready_at = UTCDateTimeField(allow_null=True)
    collected_at = UTCDateTimeField(allow_null=True)
    cancelled_at = UTCDateTimeField(allow_null=True)
    lines = OrderLineOutput(many=True, source="lines.all")
    payment = serializers.SerializerMethodField()
    points_used = serializers.SerializerMethodField(help_text="points spent paying for it (use_points)")
    paid_with_points = serializers.SerializerMethodField(help_text="what those points paid; the wallet paid the rest")

    def _points_tenders(self, order: Order) -> list[Tender]:
        return [t for t in order.tenders.all() if t.kind == Tender.Kind.POINTS and t.status == Tender.Status.SETTLED]

    @extend_schema_field(serializers.IntegerField())
    def get_points_used(self, order: Order) -> int:
        return sum(t.points_used for t in self._points_tenders(order))

    @extend_schema_field(serializers.IntegerField())
    def get_paid_with_points(self, order: Order) -> int:
        return sum(t.amount for t in self._points_tenders(order))

    @extend_schema_field(OrderPaymentOutput(allow_null=True))
    def get_payment(self, order: Order) -> dict[str, Any] | None:
        """The wallet payment (null when a coupon paid it all)."""
        payment = _wallet_payment(order)
        return OrderPaymentOutput(payment).data if payment is not None else None


class AheadOrderPlacedOutput(AheadOrderOutput):
    wallet_balance = serializers.IntegerField(help_text="the member's wallet balance now")


class OrderRefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()


class AheadOrderCancelledOutput(AheadOrderOutput):
    refund = serializers.SerializerMethodField()
    wallet_balance = serializers.IntegerField(help_text="the member's wallet balance now")

    @extend_schema_field(OrderRefundOutput(allow_null=True))
    def get_refund(self, order: Order) -> dict[str, Any] | None:
        """What went back (null when nothing had been paid)."""
        refunds = list(order.refunds.all())
        return OrderRefundOutput(refunds[-1]).data if refunds else None


class OrderMemberOutput(serializers.Serializer):
    card_number = serializers.CharField()
    name = serializers.CharField(source="display_name")


class QueueOrderOutput(AheadOrderOutput):
    """An order ahead as the store's terminal sees it: with the member's name."""

    member = OrderMemberOutput(allow_null=True)
