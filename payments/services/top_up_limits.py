"""How much value one till, one person, or a terminal's newly enrolled member
can receive by top-ups in a day: the one home of those caps.

A top-up creates stored value against cash or a card slip the till says it
took; an insider (or a stolen terminal key) could load wallets and spend
them. So each terminal and each staff member has a daily total (manager-set,
with per-terminal and per-person overrides), and a terminal that enrolled a
member may top them up only a little on their first day. Checked inside the
top-up's transaction with the terminal's and the person's rows locked (after
nothing else, before the wallet), so two top-ups at once cannot both pass."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.clock import local_day_start
from cafe_loyalty.core.money import format_money
from members.models import Member
from payments.exceptions import TopUpLimitExceeded
from payments.models import ProgrammeSettings, RiskAlert, Store, StoreStaff, Terminal, TerminalEnrolment, TopUp
from payments.services.risk import risk_alert_raise

NEW_MEMBER_WINDOW = timedelta(hours=24)


def _total(top_ups: QuerySet[TopUp]) -> int:
    return int(top_ups.aggregate(s=Sum("amount"))["s"] or 0)


def _refuse(message: str, *, subject: str) -> TopUpLimitExceeded:
    return TopUpLimitExceeded(message, limit=subject)


def top_up_limits_check(
    *, member: Member, amount: int, store: Store | None, terminal: Terminal | None, actor: Any, now: datetime
) -> None:
    """Refuse (TopUpLimitExceeded, `extra["limit"]` names which) a counter or
    API top-up that would pass a cap. Runs inside the top-up's transaction."""
    programme = ProgrammeSettings.current()
    today = local_day_start(now)
    if terminal is not None:
        locked = Terminal.objects.select_for_update(of=("self",)).get(pk=terminal.pk)
        cap = locked.daily_top_up_cap if locked.daily_top_up_cap is not None else programme.terminal_daily_top_up_cap
        done = _total(TopUp.objects.filter(terminal=terminal, created_at__gte=today))
        if done + amount > cap:
            raise _refuse(
                _("This terminal has topped up %(done)s today; its daily cap is %(cap)s.")
                % {"done": format_money(done), "cap": format_money(cap)},
                subject="terminal",
            )
        enrolled = TerminalEnrolment.objects.filter(member=member, terminal=terminal).first()
        if enrolled is not None and now - enrolled.created_at < NEW_MEMBER_WINDOW:
            first_day = _total(
                TopUp.objects.filter(terminal=terminal, member=member, created_at__gte=enrolled.created_at)
            )
            if first_day + amount > programme.new_member_first_day_top_up_cap:
                raise _refuse(
                    _("A member enrolled here today can be topped up at most %(cap)s here on their first day.")
                    % {"cap": format_money(programme.new_member_first_day_top_up_cap)},
                    subject="new_member",
                )
    if actor is not None and terminal is None:
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()  # one person's top-ups queue
        role = StoreStaff.objects.filter(user=actor, store=store).first() if store else None
        cap = (
            role.daily_top_up_cap
            if role is not None and role.daily_top_up_cap is not None
            else programme.staff_daily_top_up_cap
        )
        counter = TopUp.objects.filter(actor=actor, created_at__gte=today).exclude(tender=TopUp.Tender.ONLINE)
        done = _total(counter)
        if done + amount > cap:
            raise _refuse(
                _("You have topped up %(done)s today; your daily cap is %(cap)s. A manager can help.")
                % {"done": format_money(done), "cap": format_money(cap)},
                subject="staff",
            )


def top_up_limit_alert(*, exc: TopUpLimitExceeded, member: Member, terminal: Terminal | None, actor: Any) -> None:
    """After the refused top-up rolled back: tell managers, once a day per
    terminal or person (the first refusal is the one worth a look)."""
    who = f"terminal {terminal.pk}" if terminal is not None else f"staff {actor.pk}"
    today = RiskAlert.objects.filter(kind=RiskAlert.Kind.TOP_UP_LIMIT, created_at__gte=local_day_start(timezone.now()))
    if today.filter(detail__startswith=f"{who}:").exists():
        return
    risk_alert_raise(kind=RiskAlert.Kind.TOP_UP_LIMIT, member=member, terminal=terminal, detail=f"{who}: {exc.detail}")
