"""Gunicorn settings for production (README, "Production"); gunicorn reads this
file by itself when started from the project folder, and `make bench` serves
the app with it, so the benchmark measures what production runs.

Each setting can be overridden from the environment (GUNICORN_WORKERS, …) to
try another shape on other hardware; the defaults are for 2 cores."""

from __future__ import annotations

import os

workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request running longer than this is killed with its worker; the
# idempotency claim dies with the worker's database session (payments.idempotency).
timeout = 30
# Tills keep their connection open between payments.
keepalive = 5
