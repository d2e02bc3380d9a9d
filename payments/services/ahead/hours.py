"""When a store takes orders ahead: its opening hours (in its own time
zone), a pause with its automatic end, and the estimated ready time.

Reads only; the services that place orders check a pickup time here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from payments.models import Store
from payments.selectors.ahead import ahead_queue_items
from payments.services.ahead.errors import OrderAheadPaused, PickupInvalid, StoreClosed

OPEN, CLOSED, PAUSED, OFF = "open", "closed", "paused", "off"


def store_zone(store: Store) -> tzinfo:
    """The store's time zone (the installation's if its name is unknown)."""
    return store.zone


def store_intervals(*, store: Store, day: date) -> list[tuple[datetime, datetime]]:
    """The store's opening intervals on that local day, as aware datetimes.
    Reads `store.hours.all()` (prefetch it)."""
    zone = store_zone(store)
    return [
        (datetime.combine(day, row.opens, zone), datetime.combine(day, row.closes, zone))
        for row in store.hours.all()
        if row.weekday == day.weekday()
    ]


def store_open_interval(*, store: Store, at: datetime) -> tuple[datetime, datetime] | None:
    """The opening interval `at` falls in (closing time itself is closed)."""
    day = at.astimezone(store_zone(store)).date()
    return next(((start, end) for start, end in store_intervals(store=store, day=day) if start <= at < end), None)


def store_next_opening(*, store: Store, after: datetime) -> datetime | None:
    """The first opening at or after `after` within a week (None: no hours)."""
    first = after.astimezone(store_zone(store)).date()
    for offset in range(8):
        starts = [start for start, _end in store_intervals(store=store, day=first + timedelta(days=offset))]
        later = sorted(start for start in starts if start >= after)
        if later:
            return later[0]
    return None


@dataclass(frozen=True)
class AheadState:
    state: str  # OPEN, CLOSED, PAUSED or OFF (the store does not take orders ahead)
    reason: str = ""  # why it paused
    paused_until: datetime | None = None
    closes_at: datetime | None = None  # while open
    next_opening: datetime | None = None  # while closed or paused: when ordering opens again


def store_ahead_state(*, store: Store, now: datetime) -> AheadState:
    """Whether the store takes orders ahead now. A pause ends by itself when
    its time has passed; while paused, `next_opening` is when ordering opens
    again (the pause's end, or the first opening after it)."""
    if not store.is_active or not store.ahead_enabled:
        return AheadState(OFF)
    until = store.ahead_paused_until
    if until is not None and until > now:
        resume = until if store_open_interval(store=store, at=until) else store_next_opening(store=store, after=until)
        return AheadState(PAUSED, reason=store.ahead_pause_reason, paused_until=until, next_opening=resume)
    interval = store_open_interval(store=store, at=now)
    if interval is not None:
        return AheadState(OPEN, closes_at=interval[1])
    return AheadState(CLOSED, next_opening=store_next_opening(store=store, after=now))


def ahead_ready_estimate(*, store: Store, now: datetime, items: int = 1) -> datetime:
    """When an order of `items` placed now would be ready: the items the
    baristas still have to make for paid orders ahead, plus these, times the
    store's preparation minutes per item."""
    queue = ahead_queue_items(store=store)
    return now + timedelta(minutes=(queue + items) * store.prep_minutes_per_item)


def _local_time(store: Store, at: datetime | None) -> str:
    if at is None:
        return ""
    return date_format(at.astimezone(store_zone(store)), "D H:i")


def ahead_pickup_check(*, store: Store, pickup_at: datetime | None, now: datetime, items: int) -> datetime:
    """Refuse an order ahead the store cannot take — off, paused, closed now
    (as soon as possible) or at the pickup time, a pickup in the past or not
    today — and return when it should be ready: the estimate, or the pickup
    time if that is later."""
    state = store_ahead_state(store=store, now=now)
    if state.state == OFF:
        raise StoreClosed(_("%(store)s does not take orders ahead.") % {"store": store.name})
    if state.state == PAUSED:
        detail = _("%(store)s has paused order ahead until %(until)s.") % {
            "store": store.name,
            "until": _local_time(store, state.paused_until),
        }
        raise OrderAheadPaused(f"{detail} {state.reason}".strip())
    ready = ahead_ready_estimate(store=store, now=now, items=items)
    if pickup_at is None:
        if state.state != OPEN:
            raise StoreClosed(_closed_message(store, state))
        assert state.closes_at is not None
        if ready > state.closes_at:
            raise StoreClosed(_("%(store)s closes before your order would be ready.") % {"store": store.name})
        return ready
    if pickup_at < now:
        raise PickupInvalid(_("That pickup time has passed; choose a later one."))
    zone = store_zone(store)
    if pickup_at.astimezone(zone).date() != now.astimezone(zone).date():
        raise PickupInvalid(_("Orders ahead are for pickup today."))
    if store_open_interval(store=store, at=pickup_at) is None:
        raise StoreClosed(_("%(store)s is not open at that pickup time.") % {"store": store.name})
    return max(pickup_at, ready)


def _closed_message(store: Store, state: AheadState) -> str:
    if state.next_opening is None:
        return _("%(store)s is closed.") % {"store": store.name}
    return _("%(store)s is closed now; it opens %(when)s.") % {
        "store": store.name,
        "when": _local_time(store, state.next_opening),
    }
