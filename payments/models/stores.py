"""Stores, terminals, staff and the programme's manager-set limits."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cafe_loyalty.core.rulecache import RuleCache


class Store(models.Model):
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Taipei")
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("For example: Mon–Fri 07:00–19:00, Sat–Sun 08:00–18:00"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # Order ahead (issue 16): members order and pay from the portal for pickup.
    ahead_enabled = models.BooleanField(
        _("order ahead"), default=False, help_text=_("Members may order and pay ahead for pickup here.")
    )
    # A pause ends by itself once `ahead_paused_until` has passed: a busy
    # barista need not remember to lift it.
    ahead_paused_until = models.DateTimeField(_("order ahead paused until"), null=True, blank=True)
    ahead_pause_reason = models.CharField(_("pause reason"), max_length=120, blank=True)
    prep_minutes_per_item = models.PositiveSmallIntegerField(
        _("preparation minutes per item"),
        default=3,
        help_text=_("Estimated ready time = items in the order-ahead queue × this."),
    )
    # Where the store is, so the portal can list the nearest first (the
    # member's browser works out the distances; their location never leaves it).
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]
        permissions = [
            ("use_pos", "Can use the POS till"),
            ("approve_refund", "Can approve refunds above the threshold"),
            ("manage_shift", "Can open and close shifts and move cash"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> tzinfo:
        """The store's time zone (the installation's if its name is unknown):
        opening hours and promotions' weekdays and hours are on this clock."""
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return timezone.get_default_timezone()


class Terminal(models.Model):
    """A till, kiosk or third-party device that calls the API with a bearer key.
    Only a keyed hash of the key is stored; the key itself is shown once."""

    store = models.ForeignKey(
        "payments.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="terminals"
    )
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    daily_top_up_cap = models.BigIntegerField(
        _("top-ups per day"), null=True, blank=True, help_text=_("Empty: the programme's cap per terminal.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
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

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sign-in account"),
        on_delete=models.CASCADE,
        related_name="store_roles",
    )
    store = models.ForeignKey("payments.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(_("role"), max_length=40)
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    daily_top_up_cap = models.BigIntegerField(
        _("top-ups per day"), null=True, blank=True, help_text=_("Empty: the programme's cap per staff member.")
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="store_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.role})"


class StoreHours(models.Model):
    """One opening interval of a store on a weekday, in the store's time zone
    (two rows for a day with a break). Order ahead is taken inside them."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    store = models.ForeignKey("payments.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            # Past midnight is two rows (until 23:59 and from 00:00 the next day).
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="store_hours_close_after_open"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="store_hours_weekday_valid"),
            models.UniqueConstraint(fields=["store", "weekday", "opens"], name="store_hours_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


# --- Programme settings ------------------------------------------------------


class ProgrammeSettings(models.Model):
    """One row of manager-set limits for the wallet (edited in the admin)."""

    no_confirmation_limit = models.BigIntegerField(
        _("no-confirmation limit"),
        default=50_000,
        help_text=_("Payments up to this amount need no confirmation; members may lower their own."),
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
    confirmation_timeout_seconds = models.PositiveIntegerField(_("seconds to confirm"), default=120)
    min_top_up = models.BigIntegerField(_("smallest top-up"), default=10_000)
    max_top_up = models.BigIntegerField(_("largest top-up"), default=1_000_000)
    # Caps on value one till or one person can load into wallets in a day (a
    # top-up creates stored value; an insider could load it and spend it).
    terminal_daily_top_up_cap = models.BigIntegerField(
        _("top-ups per terminal per day"),
        default=10_000_000,
        help_text=_("The most one terminal may top up in a day, all members together; a terminal may have its own."),
    )
    staff_daily_top_up_cap = models.BigIntegerField(
        _("top-ups per staff member per day"),
        default=5_000_000,
        help_text=_("The most one barista or manager may top up at the counter in a day; a person may have their own."),
    )
    new_member_first_day_top_up_cap = models.BigIntegerField(
        _("first-day top-up for members a terminal enrolled"),
        default=200_000,
        help_text=_("A terminal that enrolled a member may top them up at most this much on their first day."),
    )
    staff_daily_refund_cap = models.BigIntegerField(
        _("refunds per staff member per day"),
        default=300_000,
        help_text=_("Above this total of refunds in a day, a manager approves each further refund of that person."),
    )
    offline_allowance_cap = models.BigIntegerField(
        _("largest offline allowance"),
        default=100_000,
        help_text=_("The most a member may set aside to pay offline from one phone (0 turns offline paying off)."),
    )

    class Meta:
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    def __str__(self) -> str:
        return "Programme settings"

    @classmethod
    def current(cls) -> ProgrammeSettings:
        """The settings row, memoised per process (see cafe_loyalty.core.rulecache):
        it is on every payment's path and managers change it rarely. Read-only."""
        return _programme_cache.get()

    @classmethod
    def forget_cached(cls) -> None:
        _programme_cache.forget()


_programme_cache = RuleCache(lambda: ProgrammeSettings.objects.get_or_create(pk=1)[0], models=(ProgrammeSettings,))


class TerminalEnrolment(models.Model):
    """Which terminal enrolled a member (POST /api/v1/members): that terminal may
    top the new member up only a little on their first day."""

    member = models.OneToOneField(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    terminal = models.ForeignKey(
        "payments.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, related_name="enrolments"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("terminal enrolment")
        verbose_name_plural = _("terminal enrolments")

    def __str__(self) -> str:
        return f"{self.member_id} enrolled by {self.terminal}"
