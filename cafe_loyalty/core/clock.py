"""The programme's day: where "today" starts for daily limits, caps and reports."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def local_day_start(now: datetime) -> datetime:
    """Midnight of `now`'s day in the programme's time zone (TIME_ZONE)."""
    local = timezone.localtime(now, timezone=timezone.get_default_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
