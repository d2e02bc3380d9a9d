"""`expire_points` over 1,000,000 lots on PostgreSQL: lots are loaded with
generate_series (fast), then the set-based expiry is timed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.servers import production_env

ROOT = Path(__file__).resolve().parent.parent
LOTS = int(os.environ.get("BENCH_LOTS", "1000000"))
MEMBERS = 50_000


def _measure() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from members.points_expiry import points_expire_due

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_member (card_number, display_name, email, phone, preferred_language, points_balance,"
            " created_at, tier_override_reason, large_and_simple) SELECT '8' || lpad(g::text, 11, '0'), 'Bench ' || g,"
            " 'b' || g || '@example.com', '', 'en', 0, now(), '', false"
            " FROM generate_series(1, %s) g",
            [MEMBERS],
        )
        cursor.execute("SELECT min(id) FROM members_member")
        first = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO members_pointslot (member_id, points, remaining, earned_at, expires_at, source, reference)"
            " SELECT %s + (g %% %s), 10, 10, now() - interval '2 years', now() - interval '1 day', 'order', ''"
            " FROM generate_series(0, %s - 1) g",
            [first, MEMBERS, LOTS],
        )
        cursor.execute(
            "INSERT INTO members_pointsentry (member_id, kind, points, source, reference, explanation, created_at)"
            " SELECT member_id, 'earn', sum(points), 'order', '', '', now() FROM members_pointslot GROUP BY member_id"
        )
        # Each balance is what its lots hold, whatever BENCH_LOTS is (a
        # smaller run than MEMBERS lots leaves some members with none).
        cursor.execute(
            "UPDATE members_member m SET points_balance = e.points FROM members_pointsentry e WHERE e.member_id = m.id"
        )
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    expired = points_expire_due(now=timezone.now())
    seconds = time.perf_counter() - started
    from members.selectors import points_problems

    ok = not points_problems()
    print(f"{expired} {seconds:.3f} {ok}")


def run(database_url: str) -> dict[str, Any]:
    # The job touches no cache: the address is never contacted.
    env = production_env(
        database_url=database_url, cache_url="redis://127.0.0.1:9/1", static_root=tempfile.gettempdir()
    )
    out = subprocess.run(
        [sys.executable, "-m", "bench.expire_points"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    expired, seconds, ok = out.stdout.strip().splitlines()[-1].split()
    return {"lots": int(expired), "seconds": float(seconds), "check_points_ok": ok == "True"}


if __name__ == "__main__":
    _measure()
