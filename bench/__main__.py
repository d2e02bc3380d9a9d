"""`make bench`: prints performance figures. The ratio line comes last."""

from __future__ import annotations

import importlib
import sys
import time

from tests.pgcluster import pg_bin_dir, pg_cluster


def optional(module: str) -> object | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None


def main() -> int:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed; `make bench` needs Debian's postgresql package.")
        return 1
    pos = optional("bench.pos")
    if pos is not None:
        print("== POS till (SQLite, in-process) ==")
        for name, value in pos.run().items():  # type: ignore[attr-defined]
            print(f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}")
    expiry = optional("bench.expire_points")
    if expiry is not None:
        print("== Points expiry (PostgreSQL) ==")
        with pg_cluster() as url:
            result = expiry.run(url)  # type: ignore[attr-defined]
        print(
            f"expire_points_lots={result['lots']} expire_points_seconds={result['seconds']:.2f}"
            f" check_points={'ok' if result['check_points_ok'] else 'FAILED'}"
        )

    from bench.payments_load import run

    print("== Wallet payments over HTTP (gunicorn + PostgreSQL) vs pgbench ==")
    started = time.monotonic()
    with pg_cluster() as url:
        figures = run(url, bin_dir)
    errors = {status: n for status, n in figures["statuses"].items() if status != 201}
    print(f"gunicorn workers={figures['workers']}, 16 clients ({figures['driver']}), {figures['seconds']:.1f}s")
    print(f"payments={figures['succeeded']} requests={figures['requests']}")
    print(f"payments_per_s={figures['payments_per_s']:.1f}")
    print(f"p50_ms={figures['p50_ms']:.1f} p99_ms={figures['p99_ms']:.1f}")
    print(f"errors={sum(errors.values())} {errors if errors else ''}".rstrip())
    print(f"ledger_check={'ok' if figures['ledger_ok'] else 'FAILED'}")
    print(f"pgbench_tps={figures['pgbench_tps']:.1f} (tpcb-like, scale 10, 16 clients)")
    if "healthz_per_s" in figures:
        floor = figures["healthz_per_s"]
        print(f"healthz_per_s={floor:.0f} (GET /healthz, same server; ratio {floor / figures['pgbench_tps']:.2f})")
    else:
        print("healthz_per_s=n/a (install wrk for the driver and this figure)")
    print(f"bench_seconds={time.monotonic() - started:.0f}")
    print(f"ratio_vs_pgbench={figures['payments_per_s'] / figures['pgbench_tps']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
