"""A frozen clock for the controls' tests: `time.time()` (which the cache, the
session policy and the guessing stop read) stands still until moved by hand."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.urls import get_resolver


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    # Load every view module first: some keep a reference to time.time when
    # they are imported (DRF's throttles), and must keep the real one.
    get_resolver().url_patterns  # noqa: B018
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])

    def move(seconds: float) -> None:
        now[0] += seconds

    return move
