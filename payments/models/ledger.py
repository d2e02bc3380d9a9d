"""The double-entry wallet ledger: accounts, transfers, and what moves money in
and out of wallets (top-ups and their bonus rules, cash-outs)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cafe_loyalty.core.money import format_money

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
        # A member's money set aside for one offline certificate: a liability
        # like the wallet (never negative), linked from OfflineCertificate.
        OFFLINE_HOLD = "offline_hold", _("Offline hold")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet",
    )
    store = models.ForeignKey(
        "payments.Store",
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=120)
    debits_posted = models.BigIntegerField(_("debits posted"), default=0)
    credits_posted = models.BigIntegerField(_("credits posted"), default=0)
    # Wallet-only settings (empty for system accounts).
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_reason = models.CharField(_("why frozen"), max_length=200, blank=True)
    # A member may lift a freeze they set (lost phone found); a staff freeze
    # (risk) can only be lifted by a manager.
    frozen_by_staff = models.BooleanField(_("frozen by staff"), default=False)
    daily_limit = models.BigIntegerField(
        _("daily spending limit"), null=True, blank=True, help_text=_("Member-set; empty means the programme cap.")
    )
    no_confirmation_limit = models.BigIntegerField(
        _("no-confirmation limit"), null=True, blank=True, help_text=_("Member-set; empty means the programme default.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind__in=["wallet", "offline_hold"])
                | models.Q(credits_posted__gte=models.F("debits_posted")),
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
                # Hold accounts are many (one per certificate), none a system account.
                condition=models.Q(member__isnull=True, store__isnull=True) & ~models.Q(kind="offline_hold"),
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

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    min_amount = models.BigIntegerField(_("minimum amount"))
    bonus = models.BigIntegerField(_("bonus"))
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)

    class Meta:
        verbose_name = _("top-up bonus rule")
        verbose_name_plural = _("top-up bonus rules")
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

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="top_ups"
    )
    amount = models.BigIntegerField(_("amount"))
    bonus = models.BigIntegerField(_("bonus"), default=0)
    tender = models.CharField(_("tender"), max_length=10, choices=Tender.choices)
    store = models.ForeignKey(
        "payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, null=True, blank=True
    )
    terminal = models.ForeignKey(
        "payments.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    gateway_reference = models.CharField(_("gateway reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # The API request (idempotency claim) that created this row, written in the
    # same transaction: lets a retry rebuild the answer if the first request
    # died after committing (see payments.idempotency).
    idempotency_record = models.ForeignKey(
        "payments.IdempotencyRecord",
        verbose_name=_("idempotency record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0, bonus__gte=0), name="topup_amount_positive")
        ]

    def __str__(self) -> str:
        return f"Top-up {self.pk} ({format_money(self.amount)})"


class CashOut(models.Model):
    """Stored value paid back in cash at the counter (a member leaving the
    programme, or asking for their money back). Needs a Shift manager or
    Manager; only what the member paid in can leave, see wallet_cash_out."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="cash_outs"
    )
    amount = models.BigIntegerField(_("amount"))
    store = models.ForeignKey("payments.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    idempotency_record = models.ForeignKey(
        "payments.IdempotencyRecord",
        verbose_name=_("idempotency record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("cash-out")
        verbose_name_plural = _("cash-outs")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="cash_out_amount_positive")]

    def __str__(self) -> str:
        return f"Cash-out {self.pk} ({format_money(self.amount)})"


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
        OFFLINE_HOLD = "offline_hold", _("Set aside to pay offline")
        OFFLINE_RELEASE = "offline_release", _("Offline allowance returned")

    debit_account = models.ForeignKey(
        "payments.Account", verbose_name=_("debit account"), on_delete=models.PROTECT, related_name="debits"
    )
    credit_account = models.ForeignKey(
        "payments.Account", verbose_name=_("credit account"), on_delete=models.PROTECT, related_name="credits"
    )
    amount = models.BigIntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    top_up = models.ForeignKey(
        "payments.TopUp",
        verbose_name=_("top-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    refund = models.ForeignKey(
        "payments.Refund",
        verbose_name=_("refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    cash_out = models.ForeignKey(
        "payments.CashOut",
        verbose_name=_("cash-out"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    order_reference = models.CharField(_("order reference"), max_length=100, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by staff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_terminal = models.ForeignKey(
        "payments.Terminal",
        verbose_name=_("done by terminal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(debit_account=models.F("credit_account")), name="transfer_distinct_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {format_money(self.amount)}: {self.debit_account_id} -> {self.credit_account_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Transfers are immutable; post a correcting transfer instead.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Transfers are immutable.")
