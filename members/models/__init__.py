"""Members: the programme's customers. Money lives in `payments`; this app holds
the profile, consent and (with the loyalty engine) points and tiers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cafe_loyalty.core.rulecache import RuleCache


class Member(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sign-in account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        help_text=_("Empty once the member deleted their account (records kept, anonymised)."),
    )
    card_number = models.CharField(_("card number"), max_length=12, unique=True, editable=False)
    display_name = models.CharField(_("name"), max_length=80)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_changed_at = models.DateTimeField(_("birthday changed at"), null=True, blank=True, editable=False)
    preferred_language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # "Large and simple": bigger text and targets, the pay code first, fewer words.
    large_and_simple = models.BooleanField(
        _("large and simple"),
        default=False,
        help_text=_("Bigger text and buttons, and the pay code as the first page."),
    )
    points_balance = models.BigIntegerField(_("points"), default=0, editable=False)
    tier = models.ForeignKey(
        "members.Tier", verbose_name=_("tier"), on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    tier_since = models.DateTimeField(_("tier since"), null=True, blank=True, editable=False)
    tier_review_at = models.DateTimeField(
        _("tier review at"), null=True, blank=True, help_text=_("Downgrades happen only after this, plus grace.")
    )
    tier_override_until = models.DateField(_("tier override until"), null=True, blank=True)
    tier_override_reason = models.CharField(_("tier override reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="member_points_balance_non_negative"),
            models.CheckConstraint(condition=Q(card_number__regex=r"^[0-9]{12}$"), name="member_card_number_12_digits"),
            # One member per address: two enrolments racing with one email
            # (till and till, or till and portal sign-up) cannot both win.
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="member_email_unique"),
        ]
        # The few members whose tier changed since last night's summary: the
        # repurchase report moves their summarised visits to their tier now.
        indexes = [models.Index(fields=["tier_since"], name="member_tier_since")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.card_number})"

    @property
    def card_number_display(self) -> str:
        n = self.card_number
        return f"{n[:4]} {n[4:8]} {n[8:]}"

    @property
    def is_active_member(self) -> bool:
        return self.anonymised_at is None


class Consent(models.Model):
    """Append-only record of what a member agreed to, per channel and purpose.
    The newest row for a (channel, purpose) is the member's current choice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")
        PUSH = "push", _("Portal notifications")

    class Purpose(models.TextChoices):
        ACTIVITY = "activity", _("Receipts, points and wallet activity")
        MARKETING = "marketing", _("Offers and news")
        PERSONALISED = "personalised", _("Personalised offers based on my orders")
        FEEDBACK = "feedback", _("Requests to rate my orders")

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=40, default="portal")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["member", "channel", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        return f"{self.member_id} {verb} {self.channel}/{self.purpose}"


class Notice(models.Model):
    """The member's inbox: every wallet and points movement and every offer.
    Written by services of any app (through `members.notices.notice_send`),
    shown on the portal in real time."""

    class Kind(models.TextChoices):
        WALLET = "wallet", _("Wallet")
        POINTS = "points", _("Points")
        OFFER = "offer", _("Offer")
        TIER = "tier", _("Tier")
        SECURITY = "security", _("Security")
        FEEDBACK = "feedback", _("Feedback")
        ORDER = "order", _("Order ahead")
        NEWS = "news", _("News")

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # As written, in the member's language (the email, the admin, and what is
    # shown where `texts` has no part: older notices, a manager's free text).
    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("text"), blank=True)
    # What the title and body are made of, to render them again in the
    # reader's language: {"title": value, "body": value} (members.notice_texts).
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"]), models.Index(fields=["member", "read_at"])]

    def __str__(self) -> str:
        return self.title


# --- Loyalty: tiers, points ledger, visits ---------------------------------------


class Tier(models.Model):
    """A programme tier. Qualification is by points *earned* or visits over a
    rolling 12 months (never by balance); thresholds are data for managers."""

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=40)
    slug = models.SlugField(_("slug"), unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("0 is the entry tier; higher is better.")
    )
    min_points_12m = models.PositiveIntegerField(_("points earned in 12 months"), default=0)
    min_visits_12m = models.PositiveIntegerField(_("visits in 12 months"), default=0)
    multiplier_percent = models.PositiveSmallIntegerField(_("points multiplier %"), default=100)
    birthday_reward_points = models.PositiveIntegerField(_("birthday points"), default=0)
    free_drink_on_tier_up = models.BooleanField(_("free drink on reaching this tier"), default=False)
    perks = models.TextField(_("perks"), blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class PointsPolicy(models.Model):
    """One row: how points expire, when members are warned, quiet hours."""

    class ExpiryMode(models.TextChoices):
        MONTHS = "months", _("A number of months after earning")
        END_OF_FOLLOWING_YEAR = "end_of_following_year", _("At the end of the following year")

    expiry_mode = models.CharField(
        _("expiry rule"), max_length=30, choices=ExpiryMode.choices, default=ExpiryMode.MONTHS
    )
    expiry_months = models.PositiveSmallIntegerField(_("months until expiry"), default=12)
    warning_days = models.PositiveSmallIntegerField(_("warning days"), default=30)
    tier_grace_days = models.PositiveSmallIntegerField(
        _("tier grace days"),
        default=30,
        help_text=_("After the review date, how long a member keeps a tier they no longer qualify for."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder days"),
        default=3,
        help_text=_(
            "Members are reminded this many days before a coupon, a reward or points expire"
            " and before a promotion they qualify for ends."
        ),
    )
    quiet_hours_start = models.TimeField(
        _("quiet hours start"),
        null=True,
        blank=True,
        help_text=_("No emails, messages or reminders from this local time…"),
    )
    quiet_hours_end = models.TimeField(
        _("quiet hours end"), null=True, blank=True, help_text=_("…until this local time.")
    )
    point_value = models.PositiveIntegerField(
        _("value of a point"),
        default=100,
        help_text=_("What one point is worth as payment at the till, in minor units (100 = NT$1)."),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("points policy")

    def __str__(self) -> str:
        return "Points policy"

    @classmethod
    def current(cls) -> PointsPolicy:
        """The policy row, memoised per process (see cafe_loyalty.core.rulecache);
        treat it as read-only."""
        return _policy_cache.get()


def _load_policy() -> PointsPolicy:
    return PointsPolicy.objects.get_or_create(pk=1)[0]


_policy_cache = RuleCache(_load_policy, models=(PointsPolicy,))
_tiers_cache = RuleCache(lambda: list(Tier.objects.order_by("rank")), models=(Tier,))


def tiers_by_rank() -> list[Tier]:
    """Every tier, entry tier first, memoised per process; read-only."""
    return _tiers_cache.get()


class PointsLot(models.Model):
    """Points earned together, spent oldest-expiry first, expiring together."""

    # Indexed by lot_by_member, which leads with the member.
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_lots", db_index=False
    )
    points = models.BigIntegerField(_("points"))
    remaining = models.BigIntegerField(_("remaining"))
    earned_at = models.DateTimeField(_("earned at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    source = models.CharField(_("source"), max_length=40)
    # Not indexed: nothing looks lots up by order (entries carry the reference
    # for that), and every index is upkeep when the nightly expiry rewrites a
    # million lots (two indexes, the btree and its LIKE twin, ~a third of it).
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["expires_at", "earned_at", "pk"]
        # No index names `remaining` or `expired_at`, not even in a condition:
        # then spending and the nightly expiry rewrite a lot in place (a HOT
        # update, no index touched; migration 0016 leaves the room for it).
        indexes = [models.Index(fields=["member", "expires_at"], name="lot_by_member")]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="lot_points_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0, remaining__lte=models.F("points")), name="lot_remaining_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} pts until {self.expires_at:%Y-%m-%d}"


class PointsEntry(models.Model):
    """Every change to a member's points, signed. Their sum is the balance."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        SPEND = "spend", _("Spent")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")
        REVERSE = "reverse", _("Reversed (refund)")
        RESTORE = "restore", _("Restored (refund)")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_entries"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.BigIntegerField(_("points"))
    source = models.CharField(_("source"), max_length=40, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    explanation = models.TextField(_("explanation"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="entry_points_non_zero")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"


class PointsShortfall(models.Model):
    """A refund wanted to take back points the member had already spent."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_shortfalls"
    )
    reference = models.CharField(_("reference"), max_length=100)
    points = models.BigIntegerField(_("points"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("points shortfall")
        verbose_name_plural = _("points shortfalls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.points} pts short on {self.reference}"


class PointsRefundStep(models.Model):
    """One refund's effect on an order's points (one row per refund, so a
    retried refund changes nothing and partial refunds add up exactly)."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    refund_reference = models.CharField(_("refund reference"), max_length=100, unique=True)
    refund_amount = models.BigIntegerField(_("refund amount"))
    points_reversed = models.BigIntegerField(_("points taken back"), default=0)
    points_restored = models.BigIntegerField(_("points given back"), default=0)
    shortfall = models.BigIntegerField(_("shortfall"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("points refund step")
        verbose_name_plural = _("points refund steps")

    def __str__(self) -> str:
        return f"{self.refund_reference}: -{self.points_reversed} +{self.points_restored}"


class Visit(models.Model):
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField(_("visited at"))
    amount = models.BigIntegerField(_("amount"), default=0)
    reference = models.CharField(_("reference"), max_length=100)
    store_slug = models.SlugField(_("store (slug)"), blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [models.UniqueConstraint(fields=["member", "reference"], name="visit_once_per_reference")]
        indexes = [
            # A member's visits in time order: their first visit, the visit before a
            # day (retention and repurchase reports) are one index probe each. The
            # store rides along (PostgreSQL) so the repurchase report's pass over a
            # period's visits by member and store never visits the table.
            models.Index(fields=["member", "at"], include=["store_slug"], name="visit_member_at_store"),
            # Who visited in a span (a month, the last 60 days) from the index alone, without the table.
            models.Index(fields=["at", "member"], name="visit_at_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} at {self.at:%Y-%m-%d}"


# The reports' nightly summaries live beside this module; imported here so the app registers them.
from members.models.points_summary import PointsMonth as PointsMonth  # noqa: E402
from members.models.points_summary import PointsSummaryMonth as PointsSummaryMonth  # noqa: E402
from members.models.visit_gaps import VisitGap as VisitGap  # noqa: E402
from members.models.visit_gaps import VisitGapCount as VisitGapCount  # noqa: E402
from members.models.visit_gaps import VisitGapDay as VisitGapDay  # noqa: E402
from members.models.visit_summary import MemberMonth as MemberMonth  # noqa: E402
from members.models.visit_summary import VisitSummaryMonth as VisitSummaryMonth  # noqa: E402
