"""Stores, terminals and staff; the wallet ledger and orders join them here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.rulecache import RuleCache


class Store(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Taipei")
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("For example: Mon–Fri 07:00–19:00, Sat–Sun 08:00–18:00"),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("use_pos", "Can use the POS till"),
            ("approve_refund", "Can approve refunds above the threshold"),
            ("manage_shift", "Can open and close shifts and move cash"),
        ]

    def __str__(self) -> str:
        return self.name


class Terminal(models.Model):
    """A till, kiosk or third-party device that calls the API with a bearer key.
    Only a keyed hash of the key is stored; the key itself is shown once."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="terminals")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["store__name", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="terminal_unique_name_per_store")]

    def __str__(self) -> str:
        return f"{self.store.name} / {self.name}"

    # DRF's IsAuthenticated looks at request.user; a terminal is the caller.
    @property
    def is_authenticated(self) -> bool:
        return True


class StoreStaff(models.Model):
    """Which store a barista or manager works at (for the till and reports)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_roles")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=40)
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="store_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.role})"


# --- Programme settings ------------------------------------------------------


class ProgrammeSettings(models.Model):
    """One row of manager-set limits for the wallet (edited in the admin)."""

    no_confirmation_limit = models.BigIntegerField(
        _("no-confirmation limit"),
        default=50_000,
        help_text=_("Payments up to this amount (minor units) need no confirmation; members may lower their own."),
    )
    daily_limit_cap = models.BigIntegerField(
        _("daily spend cap"),
        default=1_000_000,
        help_text=_("The most a member may spend from the wallet in a day; members may set less."),
    )
    wallet_cap = models.BigIntegerField(
        _("wallet cap"), default=2_000_000, help_text=_("Largest balance a wallet may hold.")
    )
    velocity_per_minute = models.PositiveIntegerField(_("payments per minute"), default=5)
    failed_code_alert_threshold = models.PositiveIntegerField(
        _("failed codes before an alert"),
        default=5,
        help_text=_("Refused payment codes for one member within 10 minutes."),
    )
    refund_approval_threshold = models.BigIntegerField(
        _("refund approval threshold"),
        default=50_000,
        help_text=_("Refunds above this need a shift manager or manager."),
    )
    confirmation_timeout_seconds = models.PositiveIntegerField(default=120)
    min_top_up = models.BigIntegerField(default=10_000)
    max_top_up = models.BigIntegerField(default=1_000_000)

    class Meta:
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    def __str__(self) -> str:
        return "Programme settings"

    @classmethod
    def current(cls) -> ProgrammeSettings:
        """The settings row, memoised per process (see cafe_loyalty.rulecache):
        it is on every payment's path and managers change it rarely. Read-only."""
        return _programme_cache.get()

    @classmethod
    def forget_cached(cls) -> None:
        _programme_cache.forget()


_programme_cache = RuleCache(lambda: ProgrammeSettings.objects.get_or_create(pk=1)[0], models=(ProgrammeSettings,))


# --- Double-entry wallet ledger ---------------------------------------------


class Account(models.Model):
    """A ledger account. A member wallet is a liability: its balance is
    credits_posted - debits_posted and a CHECK keeps it at zero or above.
    System accounts (cash drawer, card clearing, sales, bonus…) are the other
    legs that make every transfer balance."""

    class Kind(models.TextChoices):
        WALLET = "wallet", _("Member wallet")
        CASH_DRAWER = "cash_drawer", _("Cash drawer")
        CARD_CLEARING = "card_clearing", _("Card clearing")
        ONLINE_GATEWAY = "online_gateway", _("Online top-up gateway")
        SALES = "sales", _("Sales")
        PROMO_BONUS = "promo_bonus", _("Promotional bonus")
        ADJUSTMENTS = "adjustments", _("Adjustments")
        EXPIRY = "expiry", _("Expired balances")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="wallet"
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts")
    name = models.CharField(max_length=120)
    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    # Wallet-only settings (empty for system accounts).
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_reason = models.CharField(max_length=200, blank=True)
    # A member may lift a freeze they set (lost phone found); a staff freeze
    # (risk) can only be lifted by a manager.
    frozen_by_staff = models.BooleanField(default=False)
    daily_limit = models.BigIntegerField(
        null=True, blank=True, help_text=_("Member-set; empty means the programme cap.")
    )
    no_confirmation_limit = models.BigIntegerField(
        null=True, blank=True, help_text=_("Member-set; empty means the programme default.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="wallet") | models.Q(credits_posted__gte=models.F("debits_posted")),
                name="account_wallet_never_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(debits_posted__gte=0, credits_posted__gte=0), name="account_posted_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="wallet", member__isnull=False)
                | (~models.Q(kind="wallet") & models.Q(member__isnull=True)),
                name="account_wallet_has_member",
            ),
            models.UniqueConstraint(
                fields=["kind", "store"],
                condition=models.Q(member__isnull=True, store__isnull=False),
                name="account_one_system_account_per_kind_store",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(member__isnull=True, store__isnull=True),
                name="account_one_chain_account_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balance(self) -> int:
        """Credit-normal balance (what a wallet holds)."""
        return self.credits_posted - self.debits_posted

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class TopUpBonusRule(models.Model):
    """Top up at least `min_amount`, get `bonus` from the promotional account."""

    name = models.CharField(max_length=100)
    min_amount = models.BigIntegerField()
    bonus = models.BigIntegerField()
    is_active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-min_amount"]
        constraints = [
            models.CheckConstraint(condition=models.Q(min_amount__gt=0, bonus__gt=0), name="topup_bonus_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class TopUp(models.Model):
    class Tender(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        ONLINE = "online", _("Online (test gateway)")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="top_ups")
    amount = models.BigIntegerField()
    bonus = models.BigIntegerField(default=0)
    tender = models.CharField(max_length=10, choices=Tender.choices)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True)
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gateway_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The API request (idempotency claim) that created this row, written in the
    # same transaction: lets a retry rebuild the answer if the first request
    # died after committing (see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "IdempotencyRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0, bonus__gte=0), name="topup_amount_positive")
        ]

    def __str__(self) -> str:
        return f"Top-up {self.pk} ({self.amount})"


class CashOut(models.Model):
    """Stored value paid back in cash at the counter (a member leaving the
    programme, or asking for their money back). Needs a Shift manager or
    Manager; only what the member paid in can leave, see wallet_cash_out."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="cash_outs")
    amount = models.BigIntegerField()
    store = models.ForeignKey(Store, on_delete=models.PROTECT)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    idempotency_record = models.ForeignKey(
        "IdempotencyRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="cash_out_amount_positive")]

    def __str__(self) -> str:
        return f"Cash-out {self.pk} ({self.amount})"


class PaymentCode(models.Model):
    """A one-time 18-digit code shown on the member's phone. Only its keyed hash
    is stored; `used_at` makes it single-use under a row lock."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="payment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "created_at"])]

    def __str__(self) -> str:
        return f"code {self.pk} of member {self.member_id}"


class Payment(models.Model):
    class Status(models.TextChoices):
        REQUIRES_CONFIRMATION = "requires_confirmation", _("Waiting for member")
        SUCCEEDED = "succeeded", _("Paid")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="payments")
    amount = models.BigIntegerField()
    refunded_amount = models.BigIntegerField(default=0)
    status = models.CharField(max_length=24, choices=Status.choices)
    decline_code = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True)
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment_code = models.OneToOneField(
        PaymentCode, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    # The API request (idempotency claim) that created this row, written in the
    # same transaction: lets a retry rebuild the answer if the first request
    # died after committing (see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "IdempotencyRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    points_earned = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirm_by = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.amount}, {self.status})"

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.refunded_amount if self.status == self.Status.SUCCEEDED else 0


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The API request (idempotency claim) that created this row, written in the
    # same transaction: lets a retry rebuild the answer if the first request
    # died after committing (see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "IdempotencyRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.pk} of payment {self.payment_id}"


class Transfer(models.Model):
    """One immutable movement between two accounts. Never updated or deleted:
    corrections are new transfers."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        TOP_UP_BONUS = "top_up_bonus", _("Top-up bonus")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")
        EXPIRY = "expiry", _("Expiry")
        CASH_MOVEMENT = "cash_movement", _("Cash in/out")
        CASH_OUT = "cash_out", _("Paid back in cash")

    debit_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits")
    credit_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers")
    top_up = models.ForeignKey(TopUp, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers")
    cash_out = models.ForeignKey(CashOut, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers")
    order_reference = models.CharField(max_length=100, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(debit_account=models.F("credit_account")), name="transfer_distinct_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}: {self.debit_account_id} -> {self.credit_account_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Transfers are immutable; post a correcting transfer instead.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Transfers are immutable.")


# --- Idempotency & risk --------------------------------------------------------


class IdempotencyRecord(models.Model):
    """The stored outcome of a money POST, so a retry gets the same answer."""

    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class RiskAlert(models.Model):
    class Kind(models.TextChoices):
        DAILY_LIMIT = "daily_limit", _("Daily limit hit")
        VELOCITY = "velocity", _("Too many payments per minute")
        FAILED_CODES = "failed_codes", _("Repeated failed payment codes")
        FROZEN_ATTEMPT = "frozen_attempt", _("Payment attempt on a frozen wallet")
        LARGE_REFUND = "large_refund", _("Large refund")
        UNUSUAL_SPEND = "unusual_spend", _("Unusual spending for this member")

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="risk_alerts"
    )
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"


class FailedCodeAttempt(models.Model):
    """A refused payment code, for the repeated-failure alert."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, null=True, blank=True)
    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, null=True, blank=True)
    reason = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.reason} at {self.created_at:%Y-%m-%d %H:%M}"


# --- Menu, orders, tenders, shifts (the till) ----------------------------------------


class Category(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ModifierOption(models.Model):
    """One choice in a group (Size: M +NT$15; Milk: oat +NT$15; Extra shot +NT$20)."""

    group = models.CharField(max_length=30)
    name = models.CharField(max_length=40)
    price = models.BigIntegerField(default=0)
    is_default = models.BooleanField(default=False, help_text=_("Chosen when the product is added"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="modifier_unique_in_group")]

    def __str__(self) -> str:
        return f"{self.group}: {self.name}"


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=80)
    sku = models.SlugField(max_length=40, unique=True)
    price = models.BigIntegerField(help_text=_("Minor units, before modifiers"))
    image = models.ImageField(upload_to="products/", blank=True)
    modifiers = models.ManyToManyField(ModifierOption, blank=True, related_name="products")
    quick_key = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("1–9: keyboard shortcut at the till")
    )
    unavailable_at = models.ManyToManyField(Store, blank=True, related_name="unavailable_products")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category__position", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_non_negative")]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="shifts")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    opening_float = models.BigIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counted_cash = models.BigIntegerField(null=True, blank=True)
    expected_cash = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=models.Q(closed_at__isnull=True), name="one_open_shift_per_store"
            )
        ]

    def __str__(self) -> str:
        return f"{self.store} {timezone.localtime(self.opened_at):%Y-%m-%d %H:%M}"


class CashMovement(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="cash_movements")
    amount = models.BigIntegerField(help_text=_("Positive: cash in; negative: cash out"))
    reason = models.CharField(max_length=120)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.amount} {self.reason}"


class Order(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        VOID = "void", _("Void")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    barista = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    subtotal = models.BigIntegerField(default=0)
    discount = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    refund_steps = models.PositiveSmallIntegerField(default=0, help_text=_("Refunds made so far (whole or by line)"))
    points_earned = models.BigIntegerField(default=0)
    points_explanation = models.TextField(blank=True)
    # The keyed hash of the payment code scanned for this order, never the code
    # itself (cleared once the code pays or the order is paid).
    scanned_code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0, discount__gte=0, total__gte=0, discount__lte=models.F("subtotal")),
                name="order_amounts_consistent",
            )
        ]

    def __str__(self) -> str:
        return f"Order {self.pk}"

    @property
    def reference(self) -> str:
        return f"order:{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = models.BigIntegerField(help_text=_("Product price plus modifiers, at the time of sale"))
    modifiers = models.ManyToManyField(ModifierOption, blank=True)
    modifiers_label = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=120, blank=True)
    refunded_quantity = models.PositiveSmallIntegerField(default=0)

    class Meta:
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
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=16)
    description = models.CharField(max_length=100)
    discount = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "code"], name="order_coupon_once")]

    def __str__(self) -> str:
        return self.code


class Tender(models.Model):
    class Kind(models.TextChoices):
        WALLET = "wallet", _("Wallet")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        POINTS = "points", _("Points")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for member")
        SETTLED = "settled", _("Settled")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tenders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SETTLED)
    amount = models.BigIntegerField()
    cash_received = models.BigIntegerField(null=True, blank=True)
    change_given = models.BigIntegerField(default=0)
    points_used = models.BigIntegerField(default=0)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="tender")
    refunded_amount = models.BigIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="tender_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="tender_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
