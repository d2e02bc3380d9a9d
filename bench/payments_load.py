"""Drive POST /api/v1/payments against gunicorn on a throw-away PostgreSQL, then
run pgbench (tpcb-like, scale 10) on the same cluster, and compare."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLIENTS = 16
DURATION = float(os.environ.get("BENCH_SECONDS", "20"))
MEMBERS = 400
CODES_PER_MEMBER = 40  # 16,000 codes: more than 20 s can use


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_env(database_url: str, static_root: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CAFE_PAYMENT_CODE_TTL_SECONDS": "3600",
        "CAFE_TERMINAL_THROTTLE": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "DATABASE_POOL_MAX": "8",
        "STATIC_ROOT": static_root,
    }


def drive(port: int, key: str, codes: list[str]) -> dict[str, Any]:
    """CLIENTS threads, keep-alive connections, a fresh code and key per request."""
    lock = threading.Lock()
    queue = iter(codes)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + DURATION

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                code = next(queue, None)
            if code is None:
                break
            body = json.dumps({"payment_code": code, "amount": 12_000, "reference": "bench"})
            headers = {
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": "application/json",
            }
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/payments", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    ok = statuses.get(201, 0)
    return {
        "requests": len(latencies),
        "succeeded": ok,
        "seconds": elapsed,
        "payments_per_s": ok / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        "statuses": dict(statuses),
    }


def drive_wrk(port: int, key: str, codes: list[str]) -> dict[str, Any]:
    """The same load from wrk (C, two threads): the driver then takes a sliver
    of the two cores instead of the one a Python driver needs."""
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".codes", delete=False) as handle:
        handle.write("\n".join(codes) + "\n")
        codes_path = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(CLIENTS),
                "-d",
                f"{int(DURATION)}s",
                "--timeout",
                "30s",
                "-s",
                str(ROOT / "bench" / "payments.lua"),
                f"http://127.0.0.1:{port}",
                "--",
                codes_path,
                str(threads),
                key,
                uuid.uuid4().hex[:12],
            ],
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
    ok = statuses.get(201, 0)
    return {
        "requests": result["requests"],
        "succeeded": ok,
        "seconds": result["seconds"],
        "payments_per_s": ok / result["seconds"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "statuses": statuses,
        "driver": "wrk",
    }


def healthz_floor(port: int) -> float:
    """Requests/s for GET /healthz (the whole middleware stack and one
    `SELECT 1`) under the same 16 connections: the ceiling any endpoint of this
    app can reach on this machine, printed beside the payment figures."""
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", "5s", f"http://127.0.0.1:{port}/healthz"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found, out
    return float(found.group(1))


def pgbench(database_url: str, bin_dir: Path) -> float:
    match = re.match(r"postgres://(\w+)@([\d.]+):(\d+)/(\w+)", database_url)
    assert match, database_url
    user, host, port, _ = match.groups()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = [*as_pg, str(bin_dir / "pgbench"), "-h", host, "-p", port, "-U", user]
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


def run(database_url: str, bin_dir: Path) -> dict[str, Any]:
    static_root = tempfile.mkdtemp(prefix="cafe-static-")
    env = bench_env(database_url, static_root)
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        prepared = subprocess.run(
            [PY, "-m", "bench.prepare", str(MEMBERS), str(CODES_PER_MEMBER)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        data = json.loads(prepared.stdout.strip().splitlines()[-1])
        port = _free_port()
        workers = os.environ.get("BENCH_WORKERS", "4")
        server = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "cafe_loyalty.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                workers,
                "-k",
                os.environ.get("BENCH_WORKER_CLASS", "sync"),
                "--threads",
                os.environ.get("BENCH_THREADS", "1"),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            # Warm every worker (imports, connection pool) before measuring.
            drive_warm = data["codes"][:200]
            global DURATION
            saved, DURATION = DURATION, 2.0
            drive(port, data["key"], drive_warm)
            DURATION = saved
            if shutil.which("wrk") and os.environ.get("BENCH_DRIVER", "wrk") == "wrk":
                figures = drive_wrk(port, data["key"], data["codes"][200:])
                figures["healthz_per_s"] = healthz_floor(port)
            else:
                figures = drive(port, data["key"], data["codes"][200:])
                figures["driver"] = "python threads"
        finally:
            server.terminate()
            server.wait(timeout=30)
        ledger = subprocess.run([PY, "manage.py", "check_ledger"], cwd=ROOT, env=env, capture_output=True, text=True)
        figures["ledger_ok"] = ledger.returncode == 0
        figures["pgbench_tps"] = pgbench(database_url, bin_dir)
        figures["workers"] = f"{workers} × {os.environ.get('BENCH_WORKER_CLASS', 'sync')}"
        return figures
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
