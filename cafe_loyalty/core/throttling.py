"""An API rate limit that costs one cache round trip and constant work.

DRF's SimpleRateThrottle keeps every request's timestamp of the last period
in one cache value, read and written back whole on every request: two round
trips, and at a till's 6,000/min a list of thousands of floats to unpickle
and pickle each time (it showed as a tenth of a payment's time in the bench).
This one counts requests per fixed window and estimates the sliding window
from the current and previous counts (the "sliding window counter" of
Cloudflare and others): a client is let through while

    previous × (share of the previous window still inside the period) + current ≤ rate

On Redis the increment, its expiry and the previous count go in one pipeline;
other caches (local memory in development and tests) take three calls.
"""

from __future__ import annotations

import math

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


def _counts_redis(current_key: str, previous_key: str, ttl: int) -> tuple[int, int] | None:
    """(current after this request, previous) in one round trip, on Django's
    Redis cache; None on another backend."""
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None or not hasattr(cache, "make_and_validate_key"):
        return None
    current_key, previous_key = cache.make_and_validate_key(current_key), cache.make_and_validate_key(previous_key)
    pipe = client_of(current_key, write=True).pipeline(transaction=False)
    pipe.incr(current_key)
    pipe.expire(current_key, ttl)
    pipe.get(previous_key)
    current, _, previous = pipe.execute()
    return int(current), int(previous or 0)


def _counts_generic(current_key: str, previous_key: str, ttl: int) -> tuple[int, int]:
    cache.add(current_key, 0, ttl)
    try:
        current = cache.incr(current_key)
    except ValueError:  # expired between add and incr
        cache.add(current_key, 1, ttl)
        current = 1
    return int(current), int(cache.get(previous_key) or 0)


class WindowRateThrottle(SimpleRateThrottle):
    """Rate and scope as DRF's SimpleRateThrottle (`"6000/min"`,
    `DEFAULT_THROTTLE_RATES`); subclasses give `get_cache_key`."""

    # Set by SimpleRateThrottle.__init__ from the rate (its stubs leave them out).
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        period = self.duration
        now = self.timer()
        window = int(now // period)
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        ttl = 2 * period + 1  # the window is read again as "previous" during the next one
        counts = _counts_redis(current_key, previous_key, ttl) or _counts_generic(current_key, previous_key, ttl)
        current, previous = counts
        left_of_previous = 1 - (now - window * period) / period
        estimate = previous * left_of_previous + current
        if estimate <= self.num_requests:
            return True
        # The refused request counted too; it is taken back so a client that
        # keeps retrying while refused is not kept out longer than the rate says.
        cache.decr(current_key)
        self._wait = self._seconds_until_allowed(previous, current - 1, now - window * period, period)
        return False

    def _seconds_until_allowed(self, previous: int, current: int, into_window: float, period: int) -> float:
        """When the previous window's share has faded enough to let one more in
        (or the next window starts, if the current one alone is full)."""
        if previous > 0 and current < self.num_requests:
            fade_at = period * (1 - (self.num_requests - current - 1) / previous)
            if fade_at > into_window:
                return fade_at - into_window
        return period - into_window

    def wait(self) -> float | None:
        return math.ceil(getattr(self, "_wait", self.duration or 0))
