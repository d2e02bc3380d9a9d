"""Guessing at the counter: unknown payment codes and card numbers.

A payment code is 18 digits and a card number 12, so guessing one blindly is
hopeless, unless a terminal may try without end. Each unknown code or card is
counted per API terminal (or per till login) in the shared cache, so every
worker sees the same count. Past GUESS_LIMIT within GUESS_WINDOW_SECONDS the
terminal waits out the window: everything it sends is refused with 429 and a
Retry-After (the API checks before the generic rate limit), and managers get
one RiskAlert for the window. The per-member records of refused codes
(risk.failed_code_record) are kept besides: they watch one member's codes
across terminals, this watches one terminal across members."""

from __future__ import annotations

import math
import time
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from payments.exceptions import TooManyFailures
from payments.models import RiskAlert, Terminal
from payments.services.risk import risk_alert_raise

GUESS_LIMIT = 10
GUESS_WINDOW_SECONDS = 10 * 60


def _guesser(*, terminal: Terminal | None, user: Any) -> tuple[str, str]:
    """(cache key prefix, who for the alert): the terminal, else the till login."""
    if terminal is not None:
        return f"guessing:terminal:{terminal.pk}", f"Terminal {terminal.name} (#{terminal.pk})"
    if user is not None and user.pk is not None:
        return f"guessing:user:{user.pk}", f"Till login {user.get_username()} (#{user.pk})"
    raise ValueError("a terminal or a till user is guessing")


def guessing_check(*, terminal: Terminal | None = None, user: Any = None) -> None:
    """Refuse (TooManyFailures, with the seconds to wait) while this terminal
    or till login waits out a window of too many unknown codes or cards."""
    prefix, _who = _guesser(terminal=terminal, user=user)
    until = cache.get(f"{prefix}:blocked")
    wait = math.ceil(until - time.time()) if until is not None else 0
    if wait > 0:
        raise TooManyFailures(
            _(
                "Too many unknown payment codes or card numbers from here. Try again in %(minutes)d minutes; "
                "a manager has been told."
            )
            % {"minutes": math.ceil(wait / 60)},
            retry_after=wait,
        )


def guessing_failure_record(*, what: str, terminal: Terminal | None = None, user: Any = None) -> None:
    """Count one unknown code or card (`what`, for the alert). At GUESS_LIMIT
    in the window the terminal or login is stopped until the window has
    passed, and managers get one RiskAlert for it."""
    prefix, who = _guesser(terminal=terminal, user=user)
    count_key = f"{prefix}:count"
    if cache.add(count_key, 1, GUESS_WINDOW_SECONDS):
        count = 1
    else:
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired in between: this one starts a new window
            cache.set(count_key, 1, GUESS_WINDOW_SECONDS)
            count = 1
    if count < GUESS_LIMIT:
        return
    cache.set(f"{prefix}:blocked", time.time() + GUESS_WINDOW_SECONDS, GUESS_WINDOW_SECONDS)
    if cache.add(f"{prefix}:alerted", 1, GUESS_WINDOW_SECONDS):  # one alert per window, whoever crosses first
        risk_alert_raise(
            kind=RiskAlert.Kind.GUESSING,
            terminal=terminal,
            detail=f"{who}: {count} unknown payment codes or card numbers within {GUESS_WINDOW_SECONDS // 60} "
            f"minutes (last: {what}); stopped for {GUESS_WINDOW_SECONDS // 60} minutes",
        )
