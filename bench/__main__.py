"""`make bench`: prints performance figures, one `name=value` a line; the
ratio line comes last. Lines starting with `#` say what was measured."""

from __future__ import annotations

import os
import sys
import time

from tests.pgcluster import pg_bin_dir, pg_cluster


def main() -> int:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed; `make bench` needs Debian's postgresql package.")
        return 1
    from bench import expire_points, insight, offline_sync, payments_load, pos
    from bench.servers import Services

    started = time.monotonic()
    print("# till (SQLite, in-process, median server time of", pos.ROUNDS, "rounds)", flush=True)
    till = pos.run()
    print(f"# till add-to-cart median {till['pos_add_to_cart_ms_median']:.2f} ms", flush=True)
    print(f"# offline till sync: one batch of {offline_sync.SALES} sales (SQLite, in-process)", flush=True)
    offline = offline_sync.run()
    print(f"# points expiry over {expire_points.LOTS:,} lots (PostgreSQL)", flush=True)
    with pg_cluster() as url:
        expiry = expire_points.run(url)
    print(f"# expired {expiry['lots']:,} lots, check_points {'ok' if expiry['check_points_ok'] else 'FAILED'}")
    print(
        f"# insight (PostgreSQL, durable): {insight.MEMBERS:,} members, {insight.VISITS:,} visits,"
        f" {insight.ORDERS:,} orders from generate_insight_data",
        flush=True,
    )
    with pg_cluster(durable=True) as url:
        scale = insight.run(url)
    print(f"# generated {scale['counts']} in {scale['generate_s']:.0f} s")
    print(
        f"# summarise_sales: backfill of {insight.SUMMARY_DAYS} days {scale['summary_backfill_s']:.0f} s,"
        f" then one night {scale['summary_nightly_s']:.1f} s"
    )
    for job, seconds in scale["jobs"].items():
        print(f"# {job}: {'not present (skipped)' if seconds is None else f'{seconds:.1f} s'}")
    for page, ms in scale["reports"].items():
        print(f"# report {page}: {ms:.0f} ms")
    slowest = max(scale["reports"], key=scale["reports"].get)
    print(f"# slowest report page: {slowest}; check_points {'ok' if scale['check_points_ok'] else 'FAILED'}")
    print("# POST /api/v1/payments over HTTP: durable PostgreSQL (fsync, synchronous_commit on), Redis cache,")
    print("# gunicorn.conf.py, task worker running; wrk closed loop, own open-loop driver", flush=True)
    with pg_cluster(durable=True, options="-c shared_preload_libraries=pg_stat_statements") as url:
        with Services(url, bin_dir) as services:
            http = payments_load.run(services)
    errors = {status: n for status, n in http["statuses"].items() if status not in (201,)}
    print(f"# {http['server']}, {payments_load.CLIENTS} connections, {payments_load.DURATION:.0f} s a run")
    print(f"# closed loop: {http['requests']} requests; open loop p50 {http['p50_ms_at_100_per_s']:.1f} ms")
    print(
        f"# per payment: {http['commits_per_payment']:.2f} explicit COMMIT,"
        f" {http['wal_flushes_per_payment']:.2f} WAL flushes (one payment at a time)"
    )
    for ms, statement in http["statement_ms_per_payment"]:
        print(f"# database time per payment {ms:.3f} ms: {statement}")
    sides = ", ".join(f"{side} {ms:.2f}" for side, ms in http["cpu_ms_per_payment_by_side"].items())
    print(f"# CPU per payment by process, ms: {sides}")
    print(
        f"# CPU per request (gunicorn, task worker, PostgreSQL, Redis): payment {http['cpu_ms_per_payment']:.1f} ms,"
        f" healthz {http['cpu_ms_per_healthz']:.2f} ms; ratio by CPU"
        f" {http['cpu_ms_per_healthz'] / http['cpu_ms_per_payment']:.3f} (what the throughput ratio tends to"
        " on an otherwise idle machine)"
    )
    print(f"# errors={sum(errors.values())} {errors if errors else ''}".rstrip())
    verdict = {True: "ok", False: "FAILED"}
    print(f"# check_ledger {verdict[http['ledger_ok']]}, check_points {verdict[http['points_ok']]}")
    print(f"# bench took {time.monotonic() - started:.0f} s")
    print(f"payments_per_s={http['payments_per_s']:.1f}")
    print(f"healthz_per_s={http['healthz_per_s']:.0f}")
    print(f"p50_ms={http['p50_ms']:.1f}")
    print(f"p99_ms={http['p99_ms']:.1f}")
    print(f"p99_ms_at_100_per_s={http['p99_ms_at_100_per_s']:.1f}")
    print(f"sql_per_payment={http['sql_per_payment']:.1f}")
    print(f"backlog_drained_s={http['backlog_drained_s']:.2f}")
    print(f"expire_points_seconds={expiry['seconds']:.2f}")
    print(f"pos_pay_ms_median={till['pos_pay_ms_median']:.2f}")
    print(f"segments_clv_100k_s={sum(s for s in scale['jobs'].values() if s is not None):.1f}")
    print(f"report_sales_1m_ms={scale['reports'][slowest]:.0f}")
    print(f"offline_sync_500_s={offline['offline_sync_500_s']:.2f}")
    print(f"pgbench_tps={http['pgbench_tps']:.0f}")
    print(f"ratio_vs_healthz={http['payments_per_s'] / http['healthz_per_s']:.2f}")
    clean = not errors and http["ledger_ok"] and http["points_ok"] and expiry["check_points_ok"]
    clean = clean and scale["check_points_ok"]
    return 0 if clean or os.environ.get("BENCH_ALLOW_ERRORS") else 1


if __name__ == "__main__":
    sys.exit(main())
