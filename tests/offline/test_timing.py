"""The 500-sale sync must stay under 10 s (the bench prints the same figure)."""

from __future__ import annotations

from typing import Any

from bench.offline_sync import offline_sync_500_timed
from payments.models import Order


def test_sync_of_500_queued_sales_in_one_batch_stays_under_10_s(programme_key: str, settings: Any) -> None:
    """Bounded on this process's CPU time (SQLite runs in-process, so the
    database's work counts): the suite shares the machine with its other
    workers, whose load would otherwise decide the wall-clock figure. `make
    bench` prints the wall-clock one on an otherwise idle machine."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    _wall, cpu = offline_sync_500_timed()
    assert Order.objects.filter(channel="offline", status="paid").count() == 500
    assert cpu < 10, f"500 offline sales took {cpu:.1f} s of CPU"
