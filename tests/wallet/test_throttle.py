"""The API rate limit (cafe_loyalty.core.throttling): a sliding-window
estimate from two fixed-window counters, one round trip on Redis.

Run against the local-memory cache and, like production, a real Redis server
(Debian's redis-server, started here on a free port; .ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from cafe_loyalty.core.throttling import WindowRateThrottle, _counts_redis
from tests.conftest import _unavailable
from tests.pgcluster import free_port

PERIOD = 60


class FiveAMinute(WindowRateThrottle):
    rate = "5/min"
    now = 0.0

    def get_cache_key(self, request: Any, view: APIView) -> str:
        return "throttle_test_caller"

    def timer(self) -> float:
        return FiveAMinute.now


def _request_allowed() -> tuple[bool, float | None]:
    throttle = FiveAMinute()
    allowed = throttle.allow_request(APIRequestFactory().get("/"), APIView())
    return allowed, None if allowed else throttle.wait()


@pytest.fixture
def redis_cache() -> Iterator[None]:
    server = shutil.which("redis-server")
    if server is None:
        _unavailable("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [str(server), "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        location = f"redis://127.0.0.1:{port}/0"
        caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
        with override_settings(CACHES=caches):
            deadline = time.monotonic() + 10
            while True:
                try:
                    cache.set("ping", 1)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request: pytest.FixtureRequest) -> Iterator[str]:
    cache.clear()
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
        assert _counts_redis("throttle_probe:1", "throttle_probe:0", 5) == (1, 0)  # the one-round-trip path runs
    yield request.param


def test_the_rate_is_kept_and_the_wait_is_told(any_cache: str) -> None:
    FiveAMinute.now = 1_000 * PERIOD + 0.0  # the start of a window
    assert [_request_allowed()[0] for _ in range(5)] == [True] * 5
    allowed, wait = _request_allowed()
    assert not allowed
    assert wait == PERIOD  # nothing from a previous window fades: wait for the next
    # A refused request is not counted: in the next window the previous five
    # still weigh in, fading as the window goes on.
    FiveAMinute.now = 1_001 * PERIOD + 0.1 * PERIOD  # 90% of the previous window still counts: 4.5
    assert _request_allowed()[0] is False  # 4.5 + 1 > 5
    FiveAMinute.now = 1_001 * PERIOD + 0.25 * PERIOD  # 3.75 + 1 ≤ 5
    assert _request_allowed()[0] is True
    allowed, wait = _request_allowed()  # 3.75 + 2 > 5: wait until 5 × (1 − t) + 1 ≤ 5, t = 0.4 → 9 s
    assert not allowed
    assert wait == 9


def test_callers_are_counted_apart(any_cache: str) -> None:
    FiveAMinute.now = 2_000 * PERIOD + 1.0
    for _ in range(5):
        assert _request_allowed()[0]
    other = FiveAMinute()
    other.get_cache_key = lambda request, view: "throttle_test_other"  # type: ignore[method-assign]
    assert other.allow_request(APIRequestFactory().get("/"), APIView())


def test_a_terminal_over_its_rate_gets_429_with_retry_after(api: Any, any_cache: str) -> None:
    from payments.authentication import TerminalRateThrottle

    TerminalRateThrottle.THROTTLE_RATES = {"terminal": "3/min"}
    try:
        codes = [api.get("/api/v1/members/000000000000").status_code for _ in range(4)]
    finally:
        del TerminalRateThrottle.THROTTLE_RATES
    assert codes[:3] == [404, 404, 404]
    assert codes[3] == 429
