"""Orders (every sale), their lines, coupons and tenders, and the till's shifts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.money import format_money


class Shift(models.Model):
    store = models.ForeignKey(
        "payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="shifts"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opening_float = models.BigIntegerField(_("opening float"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    counted_cash = models.BigIntegerField(_("counted cash"), null=True, blank=True)
    expected_cash = models.BigIntegerField(_("expected cash"), null=True, blank=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=models.Q(closed_at__isnull=True), name="one_open_shift_per_store"
            )
        ]

    def __str__(self) -> str:
        return f"{self.store} {timezone.localtime(self.opened_at):%Y-%m-%d %H:%M}"


class CashMovement(models.Model):
    shift = models.ForeignKey(
        "payments.Shift", verbose_name=_("shift"), on_delete=models.PROTECT, related_name="cash_movements"
    )
    amount = models.BigIntegerField(_("amount"), help_text=_("Positive: cash in; negative: cash out"))
    reason = models.CharField(_("reason"), max_length=120)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("cash movement")
        verbose_name_plural = _("cash movements")

    def __str__(self) -> str:
        return f"{format_money(self.amount, signed=True)} {self.reason}"


class Order(models.Model):
    """Every sale: rung up at the till, paid over the API, ordered ahead or
    synced from an offline till. Paid by one or more tenders; loyalty is earned
    once when it is paid and reversed once per refund (see services.orders)."""

    class Channel(models.TextChoices):
        TILL = "till", _("Till")
        API = "api", _("API (kiosk or third-party till)")
        AHEAD = "ahead", _("Order ahead")
        OFFLINE = "offline", _("Offline till (synced)")

    class PrepStatus(models.TextChoices):
        """Where an order-ahead order is behind the counter: forward only,
        or cancelled (by the member, before it was started; or unpaid)."""

        RECEIVED = "received", _("Received")
        PREPARING = "preparing", _("Preparing")
        READY = "ready", _("Ready")
        COLLECTED = "collected", _("Collected")
        CANCELLED = "cancelled", _("Cancelled")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        VOID = "void", _("Void")

    store = models.ForeignKey(
        "payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="orders"
    )
    # The shift open at the store when the order was paid (its Z report).
    shift = models.ForeignKey(
        "payments.Shift",
        verbose_name=_("shift"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.TILL)
    # Who rang it up: a barista at the till, or a terminal over the API.
    barista = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("barista"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    terminal = models.ForeignKey(
        "payments.Terminal",
        verbose_name=_("terminal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    subtotal = models.BigIntegerField(_("subtotal"), default=0)
    discount = models.BigIntegerField(_("discount"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    refunded_amount = models.BigIntegerField(_("refunded amount"), default=0)
    refund_steps = models.PositiveSmallIntegerField(
        _("refunds so far"), default=0, help_text=_("Refunds made so far (whole or by line)")
    )
    points_earned = models.BigIntegerField(_("points earned"), default=0)
    points_explanation = models.TextField(_("how the points were counted"), blank=True)
    # The keyed hash of the payment code scanned for this order, never the code
    # itself (cleared once the code pays or the order is paid).
    scanned_code_hash = models.CharField(_("scanned code hash"), max_length=64, blank=True)
    # The member showed a live payment code for this order (not the card number
    # printed on receipts): only then may the order spend their points or
    # coupons. Cleared when that code pays or the card is scanned instead.
    member_proven = models.BooleanField(_("member shown"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Order ahead only (channel ahead): preparation, pickup and its times.
    prep_status = models.CharField(_("preparation"), max_length=10, choices=PrepStatus.choices, null=True, blank=True)
    pickup_at = models.DateTimeField(_("pickup"), null=True, blank=True, help_text=_("Empty: as soon as possible"))
    ready_estimate = models.DateTimeField(_("estimated ready"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # The member's POST /api/v1/me/orders (idempotency claim) that placed it,
    # in the same transaction: a retry rebuilds the answer from the order even
    # when nothing was charged (a coupon paid it all; see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "payments.IdempotencyRecord",
        verbose_name=_("idempotency record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0, discount__gte=0, total__gte=0, discount__lte=models.F("subtotal")),
                name="order_amounts_consistent",
            ),
            # A preparation status belongs to order-ahead orders, and every one has it.
            models.CheckConstraint(
                condition=models.Q(channel="ahead", prep_status__isnull=False)
                | (~models.Q(channel="ahead") & models.Q(prep_status__isnull=True)),
                name="order_prep_status_only_ahead",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "prep_status"], name="order_ahead_queue"),
            # The sales report and its summariser read a span of paid_at (issue #17).
            models.Index(fields=["paid_at"], name="order_paid_at"),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk}"

    @property
    def reference(self) -> str:
        return f"order:{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey("payments.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("payments.Product", verbose_name=_("product"), on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    unit_price = models.BigIntegerField(
        _("unit price"), help_text=_("Product price plus modifiers, at the time of sale")
    )
    modifiers = models.ManyToManyField("payments.ModifierOption", verbose_name=_("modifiers"), blank=True)
    modifiers_label = models.CharField(_("modifiers as shown"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=120, blank=True)
    refunded_quantity = models.PositiveSmallIntegerField(_("refunded quantity"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_quantity__lte=models.F("quantity")), name="line_refund_within_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.name}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def refundable_quantity(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def refunded(self) -> bool:
        """Every item of the line has been refunded."""
        return self.refunded_quantity >= self.quantity


class OrderCoupon(models.Model):
    order = models.ForeignKey(
        "payments.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="coupons"
    )
    code = models.CharField(_("code"), max_length=16)
    description = models.CharField(_("description"), max_length=100)
    discount = models.BigIntegerField(_("discount"))

    class Meta:
        verbose_name = _("order coupon")
        verbose_name_plural = _("order coupons")
        constraints = [models.UniqueConstraint(fields=["order", "code"], name="order_coupon_once")]

    def __str__(self) -> str:
        return self.code


class Tender(models.Model):
    class Kind(models.TextChoices):
        WALLET = "wallet", _("Wallet")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        POINTS = "points", _("Points")
        OFFLINE_WALLET = "offline_wallet", _("Wallet (offline code)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for member")
        SETTLED = "settled", _("Settled")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(
        "payments.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="tenders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SETTLED)
    amount = models.BigIntegerField(_("amount"))
    cash_received = models.BigIntegerField(_("cash received"), null=True, blank=True)
    change_given = models.BigIntegerField(_("change given"), default=0)
    points_used = models.BigIntegerField(_("points used"), default=0)
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tender",
    )
    refunded_amount = models.BigIntegerField(_("refunded amount"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["pk"]
        # The liability report's redemption rate sums the points paid at the
        # till over 12 months: only points tenders, a small share of all, so a
        # partial index finds them without reading every tender.
        indexes = [models.Index(fields=["created_at"], condition=models.Q(kind="points"), name="tender_points_by_time")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="tender_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="tender_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_money(self.amount)}"


class OrderRefund(models.Model):
    """One refund of an order (whole, some items, or an amount over the API),
    with the part each tender gave back. It belongs to the shift open when it
    was made, so cash handed back counts in that shift's drawer."""

    order = models.ForeignKey(
        "payments.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds"
    )
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("1 for the order's first refund, then 2…"))
    shift = models.ForeignKey(
        "payments.Shift",
        verbose_name=_("shift"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_refunds",
    )
    amount = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    terminal = models.ForeignKey(
        "payments.Terminal",
        verbose_name=_("terminal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("order refund")
        verbose_name_plural = _("order refunds")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="order_refund_amount_positive"),
            models.UniqueConstraint(fields=["order", "number"], name="order_refund_number_once"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.number} of order {self.order_id}"

    @property
    def reference(self) -> str:
        return f"order:{self.order_id}:refund:{self.number}"


class OrderRefundPart(models.Model):
    """What one tender gave back in one refund."""

    refund = models.ForeignKey(
        "payments.OrderRefund", verbose_name=_("refund"), on_delete=models.CASCADE, related_name="parts"
    )
    tender = models.ForeignKey(
        "payments.Tender", verbose_name=_("tender"), on_delete=models.PROTECT, related_name="refund_parts"
    )
    amount = models.BigIntegerField(_("amount"))

    class Meta:
        verbose_name = _("order refund part")
        verbose_name_plural = _("order refund parts")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="order_refund_part_positive")]

    def __str__(self) -> str:
        return f"{self.tender} −{format_money(self.amount)}"
