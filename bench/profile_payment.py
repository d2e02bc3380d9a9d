"""The Python side of one API wallet payment, measured in-process (Django's
test client through the whole middleware and DRF stack, no network):

    python -m bench.profile_payment [--pg] [--payments N] [--cprofile FILE] [--callgrind [--callgrind-file FILE]]

prints CPU (process_time) and Python function calls per payment; with
`--callgrind` it also runs some payments under valgrind's callgrind, counting
only the payments themselves, and prints instructions per payment, which a
loaded machine distorts far less than time (only through the per-process
memos that expire after a few seconds of wall time). SQLite by default, `--pg` on a throw-away
PostgreSQL cluster (tests.pgcluster)."""

from __future__ import annotations

import argparse
import cProfile
import json
import operator
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 40


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cafe_loyalty.settings",
        "DEBUG": "false",
        "CAFE_TESTING": "true",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
    }


def _child(args: list[str], env: dict[str, str], *, callgrind: str = "") -> str:
    cmd = [sys.executable, "-m", "bench.profile_payment", *args]
    if callgrind:
        only_payments = "--toggle-collect=_operator_call"
        cmd = ["valgrind", "--tool=callgrind", only_payments, f"--callgrind-out-file={callgrind}", *cmd]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout


def _prepare(n_codes: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.prepare import prepare

    key, codes = prepare(MEMBERS, n_codes // MEMBERS + 1)
    Path(os.environ["PROFILE_STATE"]).write_text(json.dumps({"key": key, "codes": codes}))


def _pay(n: int, cprofile_out: str) -> None:
    """Warm up (one payment per member), then `n` payments."""
    import django

    django.setup()
    from django.test import Client

    state_file = Path(os.environ["PROFILE_STATE"])
    state = json.loads(state_file.read_text())
    codes: list[str] = state["codes"][state.get("used", 0) :]
    state["used"] = state.get("used", 0) + MEMBERS + n  # each run pays with fresh codes
    state_file.write_text(json.dumps(state))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {state['key']}")

    def pay(code: str) -> None:
        body = {"payment_code": code, "amount": 12_000, "reference": "bench"}
        response = client.post(
            "/api/v1/payments", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )
        assert response.status_code == 201, response.content

    for code in codes[:MEMBERS]:
        pay(code)
    todo = codes[MEMBERS : MEMBERS + n]
    # CPU time, not wall time: a wait for PostgreSQL is not Python's cost.
    profiler = cProfile.Profile(time.process_time_ns, 1e-9) if cprofile_out else None
    started = time.process_time()
    if profiler:
        profiler.enable()

    # Inside operator.call (a C function nothing else here calls), so that
    # callgrind counts only these payments (--toggle-collect=_operator_call).
    def pay_all() -> None:
        for code in todo:
            pay(code)

    operator.call(pay_all)
    if profiler:
        profiler.disable()
        profiler.dump_stats(cprofile_out)
    cpu = time.process_time() - started
    calls = pstats.Stats(cprofile_out).total_calls if cprofile_out else 0  # type: ignore[attr-defined]
    print(json.dumps({"cpu_ms": cpu * 1000 / max(n, 1), "calls": calls / max(n, 1)}))


def _callgrind_total(path: str) -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise ValueError(f"no totals in {path}")


def _measure(database_url: str, options: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**_env(database_url), "PROFILE_STATE": f"{tmp}/state.json"}
        _child(["--prepare", str(options.payments * 2 + options.callgrind_payments + MEMBERS * 5)], env)
        figures: dict[str, Any] = json.loads(_child(["--pay", str(options.payments), "--cprofile", ""], env))
        if options.cprofile:
            profiled = json.loads(_child(["--pay", str(options.payments), "--cprofile", options.cprofile], env))
            figures["calls"] = profiled["calls"]
        if options.callgrind:
            n = options.callgrind_payments
            out = f"{tmp}/callgrind.out"
            _child(["--pay", str(n), "--cprofile", ""], env, callgrind=out)
            figures["instructions"] = _callgrind_total(out) / n
            if options.callgrind_file:  # for callgrind_annotate
                Path(options.callgrind_file).write_bytes(Path(out).read_bytes())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--cprofile", default="")
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--callgrind-payments", type=int, default=30)
    parser.add_argument("--callgrind-file", default="", help="keep callgrind's output there")
    parser.add_argument("--prepare", type=int)
    parser.add_argument("--pay", type=int)
    options = parser.parse_args()
    if options.prepare is not None:
        return _prepare(options.prepare)
    if options.pay is not None:
        return _pay(options.pay, options.cprofile)
    if options.pg:
        from tests.pgcluster import pg_cluster

        with pg_cluster() as url:
            figures = _measure(url, options)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = _measure(f"sqlite:///{tmp}/profile.sqlite3", options)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
