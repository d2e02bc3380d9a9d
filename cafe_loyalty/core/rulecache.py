"""Per-process memo of the programme's rule rows (earn rule, points policy,
tiers, promotions, product bonuses, programme settings).

Every payment reads these rows, and managers change them a few times a year,
so each process keeps what it loaded for a few seconds instead of asking the
database on every payment. A save or delete in this process forgets the memo
at once (and again after commit, so a request that read the old row while the
change was uncommitted cannot keep it); other processes see the change within
`SECONDS`. Queryset `.update()` sends no signals: code that changes rules that
way must call `forget()` itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

SECONDS = 5.0

T = TypeVar("T")

_all: list[RuleCache[object]] = []


class RuleCache(Generic[T]):
    """`get()` returns `load()`'s result, reloading it when older than SECONDS
    or when a row of one of `models` was saved or deleted in this process."""

    def __init__(self, load: Callable[[], T], *, models: tuple[type[Model], ...]) -> None:
        self._load = load
        self._value: tuple[T, float] | None = None
        self._lock = threading.Lock()
        for model in models:
            post_save.connect(self._changed, sender=model, weak=False)
            post_delete.connect(self._changed, sender=model, weak=False)
        _all.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        held = self._value
        if held is not None and held[1] > time.monotonic():
            return held[0]
        value = self._load()
        with self._lock:
            self._value = (value, time.monotonic() + SECONDS)
        return value

    def forget(self) -> None:
        with self._lock:
            self._value = None

    def _changed(self, **kwargs: object) -> None:
        self.forget()
        transaction.on_commit(self.forget)


def forget_all() -> None:
    """Drop every memo (tests call this between cases)."""
    for cache in _all:
        cache.forget()
