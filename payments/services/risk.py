"""Risk controls: limits, velocity, freezes and alerts for managers."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.clock import local_day_start
from cafe_loyalty.core.money import format_money
from cafe_loyalty.core.rows import raw_first
from members.models import Member
from members.notices import notice_money, notice_send, notice_text
from members.sessions import user_sessions_end
from payments.exceptions import (
    AccountFrozen,
    InsufficientFunds,
    LimitExceeded,
    LimitInvalid,
    PaymentCodeExpired,
    PaymentCodeInvalid,
    PaymentCodeUsed,
    ReauthenticationNeeded,
    WalletError,
)
from payments.models import Account, FailedCodeAttempt, Payment, ProgrammeSettings, RiskAlert, Store, Terminal
from payments.services.codes import payment_codes_retire
from payments.services.ledger import lock_wallets, wallet_get_or_create
from payments.services.offline.holds import certificates_end_locked
from payments.tasks import risk_alert_email_managers

FAILED_CODE_WINDOW = timedelta(minutes=10)


def effective_daily_limit(*, wallet: Account, programme: ProgrammeSettings) -> int:
    if wallet.daily_limit is None:
        return programme.daily_limit_cap
    return min(wallet.daily_limit, programme.daily_limit_cap)


def effective_no_confirmation_limit(*, wallet: Account, programme: ProgrammeSettings) -> int:
    if wallet.no_confirmation_limit is None:
        return programme.no_confirmation_limit
    return min(wallet.no_confirmation_limit, programme.no_confirmation_limit)


@dataclass(frozen=True)
class WalletActivity:
    wallet: Account
    payments_last_minute: int
    spent_today: int


# The one definition of "spent today" and of the velocity count: gross wallet
# spend since local midnight, counting payments still waiting for
# confirmation (so two pending payments cannot together pass the limit), and
# payments started in the last minute. One statement, because it sits on the
# payment hot path, where it also locks the wallet. A payment being confirmed
# is left out of its own counts (`exclude_payment`).
_WALLET_ACTIVITY_SQL = """
SELECT a.*,
  (SELECT COUNT(*) FROM {payment} p
   WHERE p.member_id = a.member_id AND p.created_at >= %s AND p.id <> %s) AS last_minute,
  COALESCE((SELECT SUM(p.amount) FROM {payment} p
            WHERE p.member_id = a.member_id AND p.created_at >= %s AND p.status IN (%s, %s) AND p.id <> %s), 0)
    AS spent_today
FROM {account} a WHERE a.kind = %s AND a.member_id = %s
"""


def _wallet_activity(*, member: Member, now: datetime, lock: bool, exclude_payment: int | None) -> WalletActivity:
    adapt = connection.ops.adapt_datetimefield_value
    sql = _WALLET_ACTIVITY_SQL.format(payment=Payment._meta.db_table, account=Account._meta.db_table)
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE OF a"
    excluded = exclude_payment or 0
    params = [
        adapt(now - timedelta(minutes=1)),
        excluded,
        adapt(local_day_start(now)),
        Payment.Status.SUCCEEDED.value,
        Payment.Status.REQUIRES_CONFIRMATION.value,
        excluded,
        Account.Kind.WALLET.value,
        member.pk,
    ]
    found = raw_first(Account, sql, params)
    if found is None:  # the member never had a wallet: make it, then read again
        wallet_get_or_create(member=member)
        return _wallet_activity(member=member, now=now, lock=lock, exclude_payment=exclude_payment)
    counts = vars(found)  # the extra columns land as instance attributes
    return WalletActivity(
        wallet=found, payments_last_minute=int(counts["last_minute"]), spent_today=int(counts["spent_today"])
    )


def wallet_lock_with_activity(*, member: Member, now: datetime, exclude_payment: int | None = None) -> WalletActivity:
    """Lock the member's wallet (creating it first if the member never had one)
    and count their payments in the last minute and their spend today."""
    return _wallet_activity(member=member, now=now, lock=True, exclude_payment=exclude_payment)


def spent_today(*, member: Member, now: datetime) -> int:
    """What the member has spent from the wallet today (see _WALLET_ACTIVITY_SQL)."""
    return _wallet_activity(member=member, now=now, lock=False, exclude_payment=None).spent_today


def wallet_check_can_pay(*, activity: WalletActivity, amount: int, programme: ProgrammeSettings) -> None:
    """The one rule for "can this wallet pay `amount` now", for a new payment
    and for confirming a held one alike: frozen, then velocity, then the daily
    limit, then the balance (the order a barista would explain them in).
    `activity` is read with the wallet locked, without the held payment."""
    wallet = activity.wallet
    if wallet.is_frozen:
        raise AccountFrozen(_("This wallet is frozen. The member can unfreeze it in the app, or pay another way."))
    if activity.payments_last_minute >= programme.velocity_per_minute:
        raise LimitExceeded(_("Too many payments in the last minute. Please wait a moment."), rule="velocity")
    limit = effective_daily_limit(wallet=wallet, programme=programme)
    if activity.spent_today + amount > limit:
        raise LimitExceeded(
            _("This would pass the member's daily limit of %(limit)s.") % {"limit": format_money(limit)},
            rule="daily_limit",
        )
    if wallet.balance < amount:
        raise InsufficientFunds(
            _("The wallet holds %(balance)s; the member can top up or pay the rest another way.")
            % {"balance": format_money(wallet.balance)},
            wallet_balance=wallet.balance,
        )


def wallet_refusal_record(*, exc: WalletError, member: Member | None, terminal: Terminal | None) -> None:
    """After a refused payment rolled back: count refused codes, and tell
    managers about attempts on frozen wallets and limits reached. Written in
    their own transactions, so they survive the refusal."""
    if isinstance(exc, (PaymentCodeInvalid, PaymentCodeExpired, PaymentCodeUsed)):
        failed_code_record(member=member, terminal=terminal, reason=exc.code)
    elif isinstance(exc, AccountFrozen):
        risk_alert_raise(
            kind=RiskAlert.Kind.FROZEN_ATTEMPT,
            member=member,
            terminal=terminal,
            detail="Payment attempt on a frozen wallet",
        )
    elif isinstance(exc, LimitExceeded):
        kind = RiskAlert.Kind.VELOCITY if exc.extra.get("rule") == "velocity" else RiskAlert.Kind.DAILY_LIMIT
        risk_alert_raise(kind=kind, member=member, terminal=terminal, detail=exc.detail)


def risk_alert_create(
    *,
    kind: str,
    detail: str,
    member: Member | None = None,
    terminal: Terminal | None = None,
    store: Store | None = None,
) -> RiskAlert:
    """The one way an alert is written, in the caller's transaction. A
    high-severity one (RiskAlert.HIGH_SEVERITY) is emailed to the managers on
    duty once that transaction commits, so a rolled-back alert tells no one."""
    alert = RiskAlert.objects.create(
        kind=kind,
        detail=detail[:300],
        member=member,
        terminal=terminal,
        store_id=store.pk if store is not None else (terminal.store_id if terminal is not None else None),
    )
    if alert.is_high_severity:
        transaction.on_commit(lambda: risk_alert_email_managers.enqueue(alert.pk))
    return alert


def risk_alert_raise(*, kind: str, detail: str, member: Member | None = None, terminal: Terminal | None = None) -> None:
    """Alerts are written in their own transaction: they must survive the
    refusal that caused them (the payment's transaction rolls back)."""
    with transaction.atomic():
        risk_alert_create(kind=kind, detail=detail, member=member, terminal=terminal)


def failed_code_record(*, member: Member | None, terminal: Terminal | None, reason: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        FailedCodeAttempt.objects.create(member=member, terminal=terminal, reason=reason, created_at=now)
        if member is None:
            return
        threshold = ProgrammeSettings.current().failed_code_alert_threshold
        recent = FailedCodeAttempt.objects.filter(member=member, created_at__gte=now - FAILED_CODE_WINDOW).count()
        if recent == threshold:  # alert once when the threshold is crossed
            risk_alert_create(
                kind=RiskAlert.Kind.FAILED_CODES,
                member=member,
                terminal=terminal,
                detail=f"{recent} refused payment codes in {FAILED_CODE_WINDOW.seconds // 60} minutes",
            )


def wallet_limits_raise(
    *, wallet: Account, programme: ProgrammeSettings, daily_limit: int | None, no_confirmation_limit: int | None
) -> bool:
    """Whether these limits let more money go than the wallet's present ones
    (empty means the programme's cap, the most there is)."""
    daily = daily_limit if daily_limit is not None else programme.daily_limit_cap
    confirm = no_confirmation_limit if no_confirmation_limit is not None else programme.no_confirmation_limit
    return daily > effective_daily_limit(wallet=wallet, programme=programme) or confirm > (
        effective_no_confirmation_limit(wallet=wallet, programme=programme)
    )


def wallet_set_limits(
    *, member: Member, daily_limit: int | None, no_confirmation_limit: int | None, reauthenticated: bool = False
) -> Account:
    """Members may lower their limits at any time, and raise them only up to the
    programme's, after proving it is them again (`reauthenticated`: the portal
    sends them through allauth's reauthentication first): whoever holds an
    unlocked phone must not be able to lift the limits that protect it."""
    programme = ProgrammeSettings.current()
    if daily_limit is not None and not 0 <= daily_limit <= programme.daily_limit_cap:
        raise LimitInvalid(
            _("The daily limit must be between 0 and %(cap)s.") % {"cap": format_money(programme.daily_limit_cap)}
        )
    if no_confirmation_limit is not None and not 0 <= no_confirmation_limit <= programme.no_confirmation_limit:
        raise LimitInvalid(
            _("The no-confirmation limit must be between 0 and %(cap)s.")
            % {"cap": format_money(programme.no_confirmation_limit)}
        )
    wallet = wallet_get_or_create(member=member)
    with transaction.atomic(durable=True):
        locked = lock_wallets(wallet)[wallet.pk]
        raising = wallet_limits_raise(
            wallet=locked, programme=programme, daily_limit=daily_limit, no_confirmation_limit=no_confirmation_limit
        )
        if raising and not reauthenticated:
            raise ReauthenticationNeeded(_("To raise a limit, confirm it is you: sign in again, then save."))
        locked.daily_limit, locked.no_confirmation_limit = daily_limit, no_confirmation_limit
        locked.save(update_fields=["daily_limit", "no_confirmation_limit"])
    return locked


@dataclass(frozen=True)
class WalletFrozen:
    wallet: Account
    codes_retired: int  # payment codes that no longer pay
    offline_returned: int  # the offline hold given back to the wallet (paying offline turned off)
    sessions_ended: int  # devices signed out


def wallet_freeze(*, member: Member, reason: str, by_staff: bool, keep_session_key: str | None = None) -> WalletFrozen:
    """Freeze the wallet: it pays nothing, its live payment codes are retired
    (the till refuses them as expired) and the member's other devices are
    signed out, paying offline is turned off (its unused hold returned: a
    lost phone's offline codes then pay nothing), so a lost phone can do
    nothing with the wallet; the session
    `keep_session_key` (the device the member froze it from) stays signed in.
    A freeze by staff signs out every device. Freezing a frozen wallet does
    all of it again (a second phone lost, a member pressing twice)."""
    wallet = wallet_get_or_create(member=member)
    now = timezone.now()
    with transaction.atomic(durable=True):
        retired = payment_codes_retire(member=member, now=now)  # codes before the wallet: see there
        # Paying offline ends too (its lock order: the certificate before the
        # wallet): the unused hold goes back, and codes the phone makes from
        # now on pay nothing from it (a till offline meanwhile bears the loss).
        returned = certificates_end_locked(member=member, reason="wallet frozen")
        locked = lock_wallets(wallet)[wallet.pk]
        if locked.frozen_at is None or by_staff:
            locked.frozen_at = locked.frozen_at or now
            locked.frozen_reason = reason[:200]
            locked.frozen_by_staff = locked.frozen_by_staff or by_staff
            locked.save(update_fields=["frozen_at", "frozen_reason", "frozen_by_staff"])
        notice_send(
            member=member, kind="security", title=notice_text(gettext_noop("Your wallet is frozen")), body=reason
        )
    # After the commit: the wallet is frozen whatever happens to the sessions.
    ended = user_sessions_end(user=member.user, keep_session_key=keep_session_key) if member.user else 0
    return WalletFrozen(wallet=locked, codes_retired=retired, offline_returned=returned, sessions_ended=ended)


def wallet_unfreeze(*, member: Member, by_staff: bool, reauthenticated: bool = False) -> Account:
    """A member lifts their own freeze after proving it is them again
    (`reauthenticated`, through allauth: a phone still signed in must not undo
    the freeze that protects it); a staff freeze needs staff."""
    wallet = wallet_get_or_create(member=member)
    with transaction.atomic(durable=True):
        locked = lock_wallets(wallet)[wallet.pk]
        if locked.frozen_by_staff and not by_staff:
            raise AccountFrozen(_("This wallet was frozen by the cafe; please contact us to unfreeze it."))
        if not by_staff and not reauthenticated:
            raise ReauthenticationNeeded(_("To unfreeze the wallet, confirm it is you: sign in again."))
        locked.frozen_at = None
        locked.frozen_reason = ""
        locked.frozen_by_staff = False
        locked.save(update_fields=["frozen_at", "frozen_reason", "frozen_by_staff"])
        notice_send(member=member, kind="security", title=notice_text(gettext_noop("Your wallet is active again")))
    return locked


# --- Unusual spending -----------------------------------------------------------------

UNUSUAL_SPEND_FLOOR = 100_000  # below NT$1,000 a day nothing is unusual enough to raise
UNUSUAL_SPEND_HISTORY_DAYS = 90
UNUSUAL_SPEND_MIN_DAYS = 5  # days with purchases needed to know what is usual


def unusual_spend_detect(*, now: datetime | None = None) -> int:
    """The periodic anomaly check (`manage.py detect_unusual_spend`, every few
    minutes): a member whose wallet spend today is far above their own usual
    day (more than three times their mean and more than four standard
    deviations above it, over the last 90 days with purchases) gets a
    RiskAlert for managers and a security notice, once a day. Rule checks
    (limits, velocity) stop payments; this one only tells people. Returns the
    number of alerts raised."""
    now = now or timezone.now()
    day_start = local_day_start(now)
    succeeded = Payment.objects.filter(status=Payment.Status.SUCCEEDED)
    today = {
        row["member"]: int(row["spent"])
        for row in succeeded.filter(created_at__gte=day_start)
        .values("member")
        .annotate(spent=Sum("amount"))
        .filter(spent__gte=UNUSUAL_SPEND_FLOOR)
        .order_by()
    }
    already = set(
        RiskAlert.objects.filter(
            kind=RiskAlert.Kind.UNUSUAL_SPEND, created_at__gte=day_start, member_id__in=today
        ).values_list("member_id", flat=True)
    )
    candidates = [member_id for member_id in today if member_id not in already]
    if not candidates:
        return 0
    days: dict[int, list[int]] = {member_id: [] for member_id in candidates}
    history = (
        succeeded.filter(
            member_id__in=candidates,
            created_at__gte=day_start - timedelta(days=UNUSUAL_SPEND_HISTORY_DAYS),
            created_at__lt=day_start,
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
        .values("member", "day")
        .annotate(spent=Sum("amount"))
        .order_by()
    )
    for row in history:
        days[row["member"]].append(int(row["spent"]))
    raised = 0
    members = Member.objects.in_bulk(candidates)
    for member_id, usual_days in days.items():
        if len(usual_days) < UNUSUAL_SPEND_MIN_DAYS:
            continue
        mean = statistics.fmean(usual_days)
        spread = statistics.pstdev(usual_days)
        spent = today[member_id]
        if spent <= 3 * mean or spent <= mean + 4 * spread:
            continue
        member = members[member_id]
        with transaction.atomic():
            risk_alert_create(
                kind=RiskAlert.Kind.UNUSUAL_SPEND,
                member=member,
                detail=f"Spent {format_money(spent)} today; a usual day with purchases is {format_money(round(mean))}",
            )
            notice_send(
                member=member,
                kind="security",
                title=notice_text(gettext_noop("Unusual spending on your wallet today")),
                body=notice_text(
                    gettext_noop("%(amount)s so far today. If this was not you, freeze your wallet in the app."),
                    amount=notice_money(spent),
                ),
                link="/wallet/limits/",
            )
        raised += 1
    return raised
