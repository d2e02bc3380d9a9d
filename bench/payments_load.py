"""POST /api/v1/payments against gunicorn (configured by gunicorn.conf.py, as
in production) on a durable PostgreSQL, with Redis as the shared cache and the
task worker running; GET /healthz on the same server with the same driver as
the floor; then pgbench on the same cluster for reference."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench.openloop import open_loop
from bench.servers import Services, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLIENTS = 16
DURATION = float(os.environ.get("BENCH_SECONDS", "20"))
OPEN_LOOP_RATE = 100.0
SQL_SAMPLE = 50  # payments, one after another, for the statement count
MEMBERS = 400
CODES_PER_MEMBER = 70  # 28,000 codes: more than the runs can use
BACKLOG_LIMIT_S = 60.0


def wrk_payments(port: int, key: str, codes: list[str]) -> dict[str, Any]:
    """Closed loop from wrk (C, two threads): CLIENTS keep-alive connections,
    a fresh code and key per request."""
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".codes", delete=False) as handle:
        handle.write("\n".join(codes) + "\n")
        codes_path = handle.name
    try:
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(CLIENTS), "-d", f"{int(DURATION)}s", "--timeout", "30s"]
            + ["-s", str(ROOT / "bench" / "payments.lua"), f"http://127.0.0.1:{port}"]
            + ["--", codes_path, str(threads), key, uuid.uuid4().hex[:12]],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(codes_path)
    line = next(line for line in out.splitlines() if line.startswith("WRK_RESULT "))
    result = json.loads(line.removeprefix("WRK_RESULT "))
    statuses = {int(status): n for status, n in result["statuses"].items()}
    if result["errors_socket"]:
        statuses[0] = statuses.get(0, 0) + result["errors_socket"]
    return {
        "requests": result["requests"],
        "seconds": result["seconds"],
        "payments_per_s": statuses.get(201, 0) / result["seconds"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "statuses": statuses,
    }


def wrk_healthz(port: int) -> tuple[float, int]:
    """Requests/s for GET /healthz (the whole middleware stack and one
    `SELECT 1`) from the same driver, connections and server."""
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", "10s", f"http://127.0.0.1:{port}/healthz"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert found and count and not non_2xx, out
    return float(found.group(1)), int(count.group(1))


def sequential_payments(port: int, key: str, codes: list[str]) -> Counter[int]:
    """One payment after another on one keep-alive connection."""
    statuses: Counter[int] = Counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for code in codes:
        body = json.dumps({"payment_code": code, "amount": 12_000, "reference": "bench"})
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
        headers["Content-Type"] = "application/json"
        conn.request("POST", "/api/v1/payments", body, headers)
        response = conn.getresponse()
        response.read()
        statuses[response.status] += 1
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    return statuses


def sql_per_payment(services: Services, port: int, key: str, codes: list[str]) -> dict[str, Any]:
    """Statements the server ran per payment (pg_stat_statements), apart from
    BEGIN/COMMIT; explicit commits and WAL flushes (each one a wait for the
    disk) per payment: SQL_SAMPLE payments one after another, nothing else
    running (the task worker starts after)."""
    services.sql("SELECT pg_stat_statements_reset()")
    services.sql("SELECT pg_stat_reset_shared('wal')")
    statuses = sequential_payments(port, key, codes)
    flushes = int(services.sql("SELECT wal_sync FROM pg_stat_wal").strip())
    rows = services.sql(
        "SELECT calls, round(total_exec_time::numeric, 3), regexp_replace(query, '\\s+', ' ', 'g')"
        " FROM pg_stat_statements"
    )
    counts: Counter[str] = Counter()
    n = len(codes)
    timed: list[tuple[float, str]] = []
    for calls, ms, query in (line.split("|", 2) for line in rows.splitlines() if line.count("|") >= 2):
        word = query.strip().split()[0].upper() if query.strip() else ""
        # The foreign-key checks PostgreSQL runs inside an INSERT or UPDATE
        # (SELECT 1 … FOR KEY SHARE) are not round trips of ours.
        if "pg_stat_statements" in query or "FOR KEY SHARE OF x" in query:
            continue
        counts["commit" if word == "COMMIT" else "begin" if word == "BEGIN" else "statement"] += int(calls)
        timed.append((float(ms) / n, query.strip()[:70]))
    return {
        # Where the database's time goes: execution time per payment, by statement.
        "statement_ms_per_payment": sorted(timed, reverse=True)[:8],
        "sql_per_payment": counts["statement"] / n,
        "commits_per_payment": counts["commit"] / n,
        "wal_flushes_per_payment": flushes / n,
        "statuses": statuses,
    }


def backlog_drained_s(services: Services) -> float:
    """Seconds from now until the task worker has no ready or running task."""
    started = time.monotonic()
    while time.monotonic() - started < BACKLOG_LIMIT_S:
        left = services.sql(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
        ).strip()
        if left == "0":
            return time.monotonic() - started
        time.sleep(0.1)
    return float("inf")


def pgbench(services: Services) -> float:
    base = services.pg_command("pgbench")
    subprocess.run([*base, "-i", "-s", "10", "-q", "cafe"], check=True, capture_output=True)
    out = subprocess.run(
        [*base, "-c", "16", "-j", "2", "-T", str(int(DURATION)), "-b", "tpcb-like", "cafe"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"tps = ([\d.]+)", out)
    assert found, out
    return float(found.group(1))


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def run(services: Services) -> dict[str, Any]:
    env = services.env
    for step in (("migrate", "-v", "0"), ("collectstatic", "--no-input", "-v", "0")):
        done = manage(env, *step)
        assert done.returncode == 0, done.stderr
    services.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    prepared = subprocess.run(
        [PY, "-m", "bench.prepare", str(MEMBERS), str(CODES_PER_MEMBER)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(prepared.stdout.strip().splitlines()[-1])
    key, codes = data["key"], data["codes"]
    figures: dict[str, Any] = {"statuses": Counter()}

    def take(n: int) -> list[str]:
        nonlocal codes
        taken, codes = codes[:n], codes[n:]
        return taken

    port = services.gunicorn()
    wait_for_port(port)
    # Warm every worker and thread (imports, connections, per-process memos),
    # and let each member pay once: a member's first order costs more (the
    # referral check, the first tier), as it does once in a member's life.
    figures["statuses"].update(
        open_loop(port=port, key=key, codes=take(MEMBERS), rate=150, salt=uuid.uuid4().hex)["statuses"]
    )
    counted = sql_per_payment(services, port, key, take(SQL_SAMPLE))
    figures["statuses"].update(counted.pop("statuses"))
    figures.update(counted)
    services.worker()
    cpu = services.cpu_seconds()
    closed = wrk_payments(port, key, take(len(codes) // 2))
    figures["backlog_drained_s"] = backlog_drained_s(services)  # the worker's share of the payments, done
    paid = max(closed["statuses"].get(201, 0), 1)
    by_side = {side: (seconds - cpu[side]) * 1000 / paid for side, seconds in services.cpu_seconds().items()}
    figures["cpu_ms_per_payment_by_side"] = by_side
    figures["cpu_ms_per_payment"] = sum(by_side.values())
    figures["statuses"].update(closed["statuses"])
    figures.update({name: closed[name] for name in ("payments_per_s", "p50_ms", "p99_ms", "requests")})
    cpu = services.cpu_seconds()
    figures["healthz_per_s"], healthz_requests = wrk_healthz(port)
    after = services.cpu_seconds()
    figures["cpu_ms_per_healthz"] = sum(after[side] - cpu[side] for side in after) * 1000 / healthz_requests
    opened = open_loop(
        port=port, key=key, codes=take(int(OPEN_LOOP_RATE * DURATION)), rate=OPEN_LOOP_RATE, salt=uuid.uuid4().hex
    )
    figures["statuses"].update(opened["statuses"])
    figures["p99_ms_at_100_per_s"] = opened["p99_ms"]
    figures["p50_ms_at_100_per_s"] = opened["p50_ms"]
    figures["backlog_drained_s"] = max(figures["backlog_drained_s"], backlog_drained_s(services))
    services.stop_app()
    figures["ledger_ok"] = manage(env, "check_ledger").returncode == 0
    figures["points_ok"] = manage(env, "check_points").returncode == 0
    figures["pgbench_tps"] = pgbench(services)
    figures["server"] = services.describe()
    return figures


def main() -> None:
    from tests.pgcluster import pg_bin_dir, pg_cluster

    bin_dir = pg_bin_dir()
    assert bin_dir is not None
    with pg_cluster(durable=True, options="-c shared_preload_libraries=pg_stat_statements") as url:
        with Services(url, bin_dir) as services:
            print(run(services))


if __name__ == "__main__":
    main()
