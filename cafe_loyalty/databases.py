"""DATABASES for settings: the primary from DATABASE_URL with the options
each engine wants, and "replica" when DATABASE_REPLICA_URL is set (reports
and nightly jobs read there: cafe_loyalty.core.replica). Imports nothing
from Django's apps: settings load it before they are set up."""

from __future__ import annotations

from typing import Any

import environ


def databases(env: environ.Env, *, default_url: str) -> dict[str, dict[str, Any]]:
    primary = env.db("DATABASE_URL", default=default_url)
    if primary["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue instead of failing mid-transaction.
        primary.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            }
        )
    elif primary["ENGINE"] == "django.db.backends.postgresql":
        # Server-side parameters, and statements a connection runs often
        # prepared once on the server: the payment path runs the same twenty
        # statements over and over, and parsing and planning them each time is a
        # good part of PostgreSQL's work for a payment (README, "Benchmarks").
        primary.setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=2)}
        )
        if env.bool("DATABASE_POOL", default=True):
            primary.setdefault("OPTIONS", {})["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN", default=2),
                "max_size": env.int("DATABASE_POOL_MAX", default=20),
                "timeout": 10,
            }
    found = {"default": primary}
    replica_url = env.str("DATABASE_REPLICA_URL", default="")
    if replica_url:
        # The replica connects as the primary does (pool, prepared statements)
        # unless its URL says otherwise.
        replica = env.db_url_config(replica_url)
        if replica["ENGINE"] == primary["ENGINE"]:
            options = replica.setdefault("OPTIONS", {})
            options.update({key: value for key, value in primary.get("OPTIONS", {}).items() if key not in options})
        found["replica"] = replica
    return found
