"""Insight at scale on PostgreSQL (issue #17): `generate_insight_data` makes
100,000 members, 2,000,000 visits and 1,000,000 orders; then

- segments_clv_100k_s: compute_segments + compute_clv + compute_recommendations
  (the last only where the command exists), wall time, one after the other;
  before them, summarise_sales writes the nightly summaries the reports read
  (the backfill over the generated history, then one ordinary night, each
  timed and printed apart);
- report_sales_1m_ms: every report page in the admin (the sales report over its
  default 30 days and over the whole two years by month, the liability report,
  retention and churn, and any other admin URL named like a report), through
  Django's test client as a signed-in manager: the median of three requests
  after one warm-up request each; the slowest is the headline figure.

Counts can be made smaller for a quick look: BENCH_INSIGHT_MEMBERS, _VISITS, _ORDERS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.servers import production_env

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = int(os.environ.get("BENCH_INSIGHT_MEMBERS", "100000"))
VISITS = int(os.environ.get("BENCH_INSIGHT_VISITS", "2000000"))
ORDERS = int(os.environ.get("BENCH_INSIGHT_ORDERS", "1000000"))
JOBS = ["compute_segments", "compute_clv", "compute_recommendations"]
REPEATS = 3
SUMMARY_DAYS = 800  # the generator's two years, and a margin
# Admin URL names of report pages known today; others named like a report are found too.
REPORTS = [
    "payments_order_report",
    "payments_account_liability",
    "campaigns_membersegment_retention",
    "payments_order_repurchase",
    "payments_order_offers",
]
REPORT_WORDS = ("report", "liability", "retention", "repurchase", "offers")


def _report_names() -> list[str]:
    """REPORTS, then any other admin URL name with a report word (those that
    need an argument fail to reverse in _pages and are left out)."""
    from django.urls import get_resolver

    _prefix, admin_urls = get_resolver().namespace_dict["admin"]
    names = {name for name in admin_urls.reverse_dict if isinstance(name, str)}
    found = sorted(name for name in names if any(word in name for word in REPORT_WORDS) and name not in REPORTS)
    return [*REPORTS, *found]


def _pages() -> list[tuple[str, str]]:
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    today = timezone.localdate()
    pages = []
    for name in _report_names():
        try:
            url = reverse(f"admin:{name}")
        except NoReverseMatch:
            continue
        pages.append((name, url))
        if name == "payments_order_report":
            whole = f"?start={(today - timedelta(days=729)).isoformat()}&end={today.isoformat()}&grain=month"
            pages.append((f"{name} (2 years by month)", url + whole))
    return pages


def _time_request(client: Any, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url, HTTP_HOST="127.0.0.1")
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def _measure() -> None:
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.core.management import call_command, get_commands
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the admin's pages name hashed files
    out: dict[str, Any] = {}
    started = time.perf_counter()
    call_command("generate_insight_data", members=MEMBERS, visits=VISITS, orders=ORDERS, bench=True, verbosity=0)
    out["generate_s"] = time.perf_counter() - started
    from members.models import Member, Visit
    from payments.models import Order

    counted = {"members": Member, "visits": Visit, "orders": Order}
    out["counts"] = {name: model._default_manager.count() for name, model in counted.items()}
    # The report pages read the nightly summaries, as in production: first the
    # backfill a new installation runs once over the generated history, then
    # one ordinary night's run (timed apart from the model jobs below).
    since = timezone.localdate() - timedelta(days=SUMMARY_DAYS)
    started = time.perf_counter()
    call_command("summarise_sales", since=since, stdout=open(os.devnull, "w"))  # noqa: SIM115
    out["summary_backfill_s"] = time.perf_counter() - started
    started = time.perf_counter()
    call_command("summarise_sales", stdout=open(os.devnull, "w"))  # noqa: SIM115
    out["summary_nightly_s"] = time.perf_counter() - started
    commands = get_commands()
    out["jobs"] = {}
    for job in JOBS:
        if job not in commands:
            out["jobs"][job] = None
            continue
        started = time.perf_counter()
        call_command(job, stdout=open(os.devnull, "w"))  # noqa: SIM115  (closed with the process)
        out["jobs"][job] = time.perf_counter() - started
    user = get_user_model().objects.create_superuser("bench-manager", "manager@bench.example", "bench-pass-1234")
    TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(user)
    client.get("/admin/", HTTP_HOST="127.0.0.1")
    out["reports"] = {}
    for name, url in _pages():
        _time_request(client, url)  # warm-up: templates compiled, the database's caches filled
        out["reports"][name] = statistics.median(_time_request(client, url) for _ in range(REPEATS))
    from members.selectors import points_problems

    out["check_points_ok"] = not points_problems()
    print(json.dumps(out))


def run(database_url: str) -> dict[str, Any]:
    # One process: the database's cache table stands in for Redis (production refuses a per-process cache).
    with tempfile.TemporaryDirectory(prefix="cafe-insight-static-") as static:
        env = production_env(database_url=database_url, cache_url="dbcache://bench_cache", static_root=static)
        out = subprocess.run([sys.executable, "-m", "bench.insight"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    _measure()
