"""Points and wallet liability, for the accountant: what the programme owes
its members, how it got there month by month, and the line that shows the
figures agree with the ledgers to the unit.

Points are valued at PointsPolicy.point_value, the programme's stated worth
of one point as payment at the till (what a member's points would take off a
bill). Members' money is their wallets and their offline holds (what is set
aside for paying offline). It is split by the rule cash-outs follow
(payments.services.cash_out.wallet_cashable): a top-up bonus is spent first,
so what is left of it after the member's net spending is bonus, the rest is
money paid in.

Every figure is an aggregate query (no row is read into Python); months are
the programme's (TIME_ZONE). The module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth
from django.utils import timezone

from cafe_loyalty.core.clock import add_months, month_of, month_start
from members.models import Member, PointsEntry, PointsLot, PointsPolicy
from members.points_months import points_moves
from payments.models import Account, Transfer


def _by_month(rows: list[dict], key: str = "month") -> dict[date, list[dict]]:
    grouped: dict[date, list[dict]] = {}
    for row in rows:
        grouped.setdefault(month_of(row[key]), []).append(row)
    return grouped


# --- Points ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryMonth:
    month: date
    points: int  # still to spend, due to expire in this month (earlier: the expiry job has not run yet)
    value: int  # points × point value, minor units


@dataclass(frozen=True)
class PointsMonth:
    month: date
    earned: int
    spent: int
    expired: int
    other: int  # adjustments and refund reversals/restores, net
    closing: int  # all members' points at the end of the month

    @property
    def net(self) -> int:
        return self.earned - self.spent - self.expired + self.other


@dataclass(frozen=True)
class PointsLiability:
    point_value: int  # minor units per point
    by_expiry: list[ExpiryMonth]
    months: list[PointsMonth]
    live_lots: int  # Σ remaining of lots not yet spent or expired
    member_balances: int  # Σ Member.points_balance
    entries_total: int  # Σ PointsEntry.points
    settled: int  # points in lots whose expiry date has passed (their fate is known)
    expired: int  # of those, the points that expired unspent

    @property
    def outstanding(self) -> int:
        return self.live_lots

    @property
    def value(self) -> int:
        return self.live_lots * self.point_value

    @property
    def reconciled(self) -> bool:
        """The check_points invariant, summed over all members."""
        return self.live_lots == self.member_balances == self.entries_total

    @property
    def breakage_rate(self) -> float | None:
        return self.expired / self.settled if self.settled else None

    @property
    def expected_breakage(self) -> int:
        """Outstanding points expected to expire unspent, at the historical rate (rounded to a point)."""
        return (2 * self.live_lots * self.expired + self.settled) // (2 * self.settled) if self.settled else 0

    @property
    def expected_breakage_value(self) -> int:
        return self.expected_breakage * self.point_value


def points_liability(*, months: int = 12, now: datetime | None = None) -> PointsLiability:
    """Outstanding points by month of expiry, the last `months` months of points
    earned, spent and expired (oldest first, this month included), and the
    history of expiry behind the expected breakage. Seven queries (six with no
    live lot; the entries' three: members.points_months.points_moves)."""
    now = now or timezone.now()
    point_value = PointsPolicy.current().point_value
    lots = PointsLot.objects.aggregate(
        live=Sum("remaining", filter=Q(remaining__gt=0), default=0),
        settled=Sum("points", filter=Q(expires_at__lte=now), default=0),
        overdue=Sum("remaining", filter=Q(expires_at__lte=now), default=0),
        first_due=Min("expires_at", filter=Q(remaining__gt=0)),
        last_due=Max("expires_at", filter=Q(remaining__gt=0)),
    )
    # Every entry by month and kind: closed months from the nightly summary (members.points_months).
    moves = points_moves(now=now)
    entries_total = sum(moves.values())
    expired_total = sum(points for (_month, kind), points in moves.items() if kind == PointsEntry.Kind.EXPIRE)
    balances = Member.objects.aggregate(total=Sum("points_balance", default=0))["total"]
    by_expiry = []
    if lots["first_due"] is not None:
        # Every month from the first to the last, empty ones too (a chart's gaps are months).
        expiry_months = [month_of(lots["first_due"])]
        while expiry_months[-1] < month_of(lots["last_due"]):
            expiry_months.append(add_months(expiry_months[-1], 1))
        # One sum a month, each a range of expiry times, over the live lots:
        # no time-zone conversion and no grouping of each lot (at a million
        # lots that was most of the page).
        due = PointsLot.objects.filter(remaining__gt=0).aggregate(
            **{
                f"m{i}": Sum(
                    "remaining",
                    filter=Q(expires_at__gte=month_start(month), expires_at__lt=month_start(add_months(month, 1))),
                    default=0,
                )
                for i, month in enumerate(expiry_months)
            }
        )
        for i, month in enumerate(expiry_months):
            by_expiry.append(ExpiryMonth(month, int(due[f"m{i}"]), int(due[f"m{i}"]) * point_value))
    closing = entries_total
    by_month: dict[date, dict[str, int]] = {}
    for (month, kind), points in moves.items():
        by_month.setdefault(month, {})[kind] = points
    rows: list[PointsMonth] = []
    for back in range(months):
        month = add_months(month_of(now), -back)
        kinds = dict(by_month.get(month, {}))
        earned = kinds.pop(PointsEntry.Kind.EARN, 0)
        spent = -kinds.pop(PointsEntry.Kind.SPEND, 0)
        expired = -kinds.pop(PointsEntry.Kind.EXPIRE, 0)
        row = PointsMonth(month, earned, spent, expired, sum(kinds.values()), closing)
        rows.append(row)
        closing -= row.net
    return PointsLiability(
        point_value=point_value,
        by_expiry=by_expiry,
        months=rows[::-1],
        live_lots=int(lots["live"]),
        member_balances=int(balances),
        entries_total=entries_total,
        settled=int(lots["settled"]),
        # Expired by the job or by a spend, and due but not yet run: all from settled lots.
        expired=-expired_total + int(lots["overdue"]),
    )


# --- Wallets -----------------------------------------------------------------------


@dataclass(frozen=True)
class WalletMonth:
    month: date
    top_ups: int  # money paid in
    bonus: int  # top-up bonuses given
    spent: int  # paid from wallets
    refunds: int  # given back to wallets
    cash_outs: int  # paid back in cash
    other: int  # adjustments, expiry and anything else, net
    closing: int  # all wallets together at the end of the month

    @property
    def net(self) -> int:
        return self.top_ups + self.bonus - self.spent + self.refunds - self.cash_outs + self.other


@dataclass(frozen=True)
class WalletLiability:
    balance: int  # Σ members' money: wallets and offline holds (credits_posted − debits_posted)
    bonus: int  # of it, top-up bonus not yet spent
    transfers_net: int  # Σ transfers into those accounts − Σ out of them, from the transfer rows
    months: list[WalletMonth]
    held_offline: int = 0  # of the balance, set aside in offline holds (issue 18)

    @property
    def paid_in(self) -> int:
        return self.balance - self.bonus

    @property
    def reconciled(self) -> bool:
        return self.balance == self.transfers_net


def _wallet_sum(kind: str, side: str) -> Coalesce:
    """Σ amount of one kind of transfer on one side (debit_account or credit_account) of each wallet."""
    sums = (
        Transfer.objects.filter(**{side: OuterRef("pk")}, kind=kind)
        .order_by()
        .values(side)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(sums), 0)


def _member_holds(expression: Any) -> Coalesce:
    """Σ `expression` over the offline hold accounts of the wallet's member."""
    sums = (
        Account.objects.filter(kind=Account.Kind.OFFLINE_HOLD, offline_certificate__member=OuterRef("member"))
        .order_by()
        .values("offline_certificate__member")
        .annotate(total=Sum(expression))
        .values("total")
    )
    return Coalesce(Subquery(sums), 0)


def _paid_from_member_holds() -> Coalesce:
    """Σ payments made from the wallet's member's offline holds (offline codes)."""
    sums = (
        Transfer.objects.filter(
            debit_account__kind=Account.Kind.OFFLINE_HOLD,
            debit_account__offline_certificate__member=OuterRef("member"),
            kind=Transfer.Kind.PAYMENT,
        )
        .order_by()
        .values("debit_account__offline_certificate__member")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(sums), 0)


def wallet_liability(*, months: int = 12, now: datetime | None = None) -> WalletLiability:
    """Members' money split into paid-in money and bonus, the transfers it
    must equal, and the last `months` months of movements (oldest first).
    Members' money is their wallets and their offline holds (issue 18: what
    is set aside for paying offline is still theirs, and check_ledger counts
    it): moves between a wallet and a hold are internal and net to nothing,
    a payment from a hold is spending. Three queries."""
    now = now or timezone.now()
    first = add_months(month_of(now), -(months - 1))
    theirs = [Account.Kind.WALLET, Account.Kind.OFFLINE_HOLD]
    kinds = Transfer.Kind
    balance = F("credits_posted") - F("debits_posted")
    # The cash-out rule (bonus spent first), with what the member paid from
    # their holds counted as spending; a hold account itself has no bonus.
    spent = (
        _wallet_sum(kinds.PAYMENT, "debit_account")
        + _paid_from_member_holds()
        - _wallet_sum(kinds.REFUND, "credit_account")
    )
    bonus_left = Greatest(_wallet_sum(kinds.TOP_UP_BONUS, "credit_account") - Greatest(spent, 0), 0)
    held = (
        Account.objects.filter(kind__in=theirs)
        .annotate(held_bonus=Least(bonus_left, balance + _member_holds(balance)))
        .aggregate(
            balance=Sum(balance, default=0),
            bonus=Sum("held_bonus", default=0),
            offline=Sum(balance, filter=Q(kind=Account.Kind.OFFLINE_HOLD), default=0),
        )
    )
    totals = Transfer.objects.aggregate(
        inflow=Sum("amount", filter=Q(credit_account__kind__in=theirs), default=0),
        outflow=Sum("amount", filter=Q(debit_account__kind__in=theirs), default=0),
    )
    moves = _by_month(
        list(
            Transfer.objects.filter(created_at__gte=month_start(first))
            .filter(Q(credit_account__kind__in=theirs) | Q(debit_account__kind__in=theirs))
            .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
            .values("month", "kind")
            .annotate(
                inflow=Sum("amount", filter=Q(credit_account__kind__in=theirs), default=0),
                outflow=Sum("amount", filter=Q(debit_account__kind__in=theirs), default=0),
            )
            .order_by()
        )
    )
    closing = int(held["balance"])
    rows: list[WalletMonth] = []
    for back in range(months):
        month = add_months(month_of(now), -back)
        net = {row["kind"]: int(row["inflow"]) - int(row["outflow"]) for row in moves.get(month, [])}
        row = WalletMonth(
            month=month,
            top_ups=net.pop(kinds.TOP_UP, 0),
            bonus=net.pop(kinds.TOP_UP_BONUS, 0),
            spent=-net.pop(kinds.PAYMENT, 0),
            refunds=net.pop(kinds.REFUND, 0),
            cash_outs=-net.pop(kinds.CASH_OUT, 0),
            other=sum(net.values()),
            closing=closing,
        )
        rows.append(row)
        closing -= row.net
    return WalletLiability(
        balance=int(held["balance"]),
        bonus=int(held["bonus"]),
        transfers_net=int(totals["inflow"]) - int(totals["outflow"]),
        months=rows[::-1],
        held_offline=int(held["offline"]),
    )
