"""A throw-away PostgreSQL cluster for the PostgreSQL test suite and the benchmark.

    python -m tests.pgcluster -- pytest -m postgres

starts a cluster in a temp folder on a free loopback port (as the `postgres`
user when run as root, since the server refuses root), runs the command with
DATABASE_URL pointing at it, then stops the cluster and deletes the folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def pg_bin_dir() -> Path | None:
    override = os.environ.get("PG_BIN")
    if override and (Path(override) / "initdb").exists():
        return Path(override)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def pg_cluster(*, max_connections: int = 200, durable: bool = False, options: str = "") -> Iterator[str]:
    """Yield a DATABASE_URL for a fresh throw-away cluster: fast (fsync off)
    for tests, or `durable` (fsync and synchronous_commit on, as in
    production) for the benchmark, whose figures must include the WAL flush
    every commit waits for. `options` adds server settings (-c name=value)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (install Debian's postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="cafe-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    port = free_port()
    log = root / "server.log"

    def run(cmd: list[str]) -> None:
        subprocess.run(_as_postgres(cmd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    try:
        run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
        safety = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        server_options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} "
            f"{safety}-c max_connections={max_connections} -c shared_buffers=256MB {options}"
        )
        run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", server_options, "-w", "start"])
        run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "cafe"])
        yield f"postgres://postgres@127.0.0.1:{port}/cafe"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: python -m tests.pgcluster -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    if pg_bin_dir() is None:
        if os.environ.get("CI") == "true":
            print("PostgreSQL is not installed, and CI=true requires the PostgreSQL suite.", file=sys.stderr)
            return 1
        print("PostgreSQL not installed; skipping the PostgreSQL suite")
        return 0
    started = time.monotonic()
    with pg_cluster() as url:
        print(f"PostgreSQL cluster ready in {time.monotonic() - started:.1f}s at {url}", flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
