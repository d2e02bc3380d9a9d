"""The processes the HTTP benchmark runs, as production does (README,
"Production"): Redis as the shared cache, gunicorn started with the project's
gunicorn.conf.py, and the task worker (`manage.py db_worker`)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def production_env(*, database_url: str, cache_url: str, static_root: str) -> dict[str, str]:
    """Settings as production has them (DEBUG off, every required variable
    set; README, "Production"), for the benchmark's Django processes."""
    secret = uuid.uuid4().hex * 2
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cafe_loyalty.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + secret,
        "CAFE_HASH_KEY": "bench-hash-" + secret,
        "CACHE_URL": cache_url,
        "EMAIL_URL": "dummymail://",
        "CAFE_TRUSTED_PROXIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no TLS in front, so no redirect to it.
        "SECURE_SSL_REDIRECT": "false",
        "CAFE_PAYMENT_CODE_TTL_SECONDS": "7200",
        "CAFE_TERMINAL_THROTTLE": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": static_root,
    }


def _children(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()


def _cpu_seconds(pid: str) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # ended meanwhile
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class Services:
    """Redis on a free port, then gunicorn and the worker on demand; all of
    them stopped on exit."""

    def __init__(self, database_url: str, pg_bin: Path) -> None:
        self.database_url, self.pg_bin = database_url, pg_bin
        self.tmp = Path(tempfile.mkdtemp(prefix="cafe-bench-"))
        self.redis_port = free_port()
        self.app: subprocess.Popen[bytes] | None = None
        self.task_worker: subprocess.Popen[bytes] | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = production_env(
            database_url=database_url,
            cache_url=f"redis://127.0.0.1:{self.redis_port}/1",
            static_root=str(self.tmp / "static"),
        )

    def __enter__(self) -> Services:
        redis = shutil.which("redis-server")
        if redis is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self._start([redis, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        wait_for_port(self.redis_port)
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _start(self, cmd: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def gunicorn(self) -> int:
        """gunicorn with the project's gunicorn.conf.py (read from ROOT)."""
        port = free_port()
        gunicorn = str(Path(PY).parent / "gunicorn")
        self.app = self._start([gunicorn, "cafe_loyalty.wsgi", "-b", f"127.0.0.1:{port}", "--log-level", "warning"])
        return port

    def worker(self) -> None:
        """The task worker, started and past its start-up (imports, Django's
        set-up: about a second of CPU, which would otherwise count as the
        first payments' cost)."""
        self.task_worker = self._start([PY, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2"])
        pid, used = str(self.task_worker.pid), -1.0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = _cpu_seconds(pid)
            if now - used < 0.05:  # polling now: a few ms of CPU a second
                return
            used = now
        raise RuntimeError("the task worker did not settle within 30 s")

    def stop_app(self) -> None:
        for process in (self.app, self.task_worker):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)

    def describe(self) -> str:
        """The shape gunicorn.conf.py gives (or the environment overrides)."""
        text = (ROOT / "gunicorn.conf.py").read_text()
        found = dict(re.findall(r'"GUNICORN_(\w+)", "([^"]+)"', text))
        workers = self.env.get("GUNICORN_WORKERS", found.get("WORKERS", "?"))
        kind = self.env.get("GUNICORN_WORKER_CLASS", found.get("WORKER_CLASS", "?"))
        threads = self.env.get("GUNICORN_THREADS", found.get("THREADS", "?"))
        return f"gunicorn {workers} workers × {kind}, {threads} threads"

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far, by side: `app` (gunicorn and its workers),
        `worker` (the task worker), `database` (this cluster's PostgreSQL
        backends; other clusters may run on the machine) and `cache` (Redis).
        Figures the other processes on a shared machine do not distort,
        unlike throughput; a side's total over a run is what a request cost."""
        assert self.app is not None
        sides = {
            "app": [str(self.app.pid), *_children(self.app.pid)],
            "worker": [str(self.task_worker.pid)] if self.task_worker is not None else [],
            "database": self.sql("SELECT pid FROM pg_stat_activity").split(),
            "cache": [str(self.processes[0].pid)],  # Redis, started first
        }
        return {side: sum(_cpu_seconds(pid) for pid in pids) for side, pids in sides.items()}

    def pg_command(self, program: str) -> list[str]:
        match = re.match(r"postgres://(\w+)@([\d.]+):(\d+)/(\w+)", self.database_url)
        assert match, self.database_url
        user, host, port, _ = match.groups()
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return [*as_pg, str(self.pg_bin / program), "-h", host, "-p", port, "-U", user]

    def sql(self, statement: str) -> str:
        """Run one statement with psql; rows as `a|b` lines, no headers."""
        return subprocess.run(
            [*self.pg_command("psql"), "-d", "cafe", "-At", "-c", statement],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
