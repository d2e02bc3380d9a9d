"""DATABASES for settings: the primary from DATABASE_URL with the options
each engine wants, and "replica" when DATABASE_REPLICA_URL is set (reports
and nightly jobs read there: cafe_loyalty.core.replica). Imports nothing
from Django's apps: settings load it before they are set up."""

from __future__ import annotations

import copy
from typing import Any

import environ

# cafe_loyalty.core.replica.REPLICA, not imported: settings load this module
# before Django is set up.
REPLICA = "replica"
# Settings of the connection itself that the replica takes from the primary
# when its URL does not set them (?conn_max_age=…, ?conn_health_checks=…).
INHERITED = ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS")


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
        found[REPLICA] = _replica(env.db_url_config(replica_url), primary)
    return found


def database_routers(databases: dict[str, dict[str, Any]]) -> list[str]:
    """The replica's router, only when there is a replica: without one every
    query goes to the primary by Django's own rule, no router asked."""
    return ["cafe_loyalty.core.replica.ReplicaRouter"] if REPLICA in databases else []


def _replica(replica: dict[str, Any], primary: dict[str, Any]) -> dict[str, Any]:
    """The replica connects as the primary does (pool, prepared statements,
    connection age and health checks) unless its URL says otherwise."""
    own_options, own_keys = set(replica.get("OPTIONS", {})), set(replica)
    if replica["ENGINE"] == primary["ENGINE"]:
        options = replica.setdefault("OPTIONS", {})
        inherited = {key: value for key, value in primary.get("OPTIONS", {}).items() if key not in own_options}
        options.update(copy.deepcopy(inherited))  # its own pool settings, not the primary's dict
        replica.update({key: primary[key] for key in INHERITED if key in primary and key not in own_keys})
        if "CONN_MAX_AGE" in own_keys and replica["CONN_MAX_AGE"] and "pool" not in own_options:
            # The URL asks for persistent connections, which Django refuses
            # beside a pool: its own choice wins over the primary's pool.
            options.pop("pool", None)
    # Tests: the test runner points the alias at the primary's test database
    # instead of creating (and dropping) one on the replica's server, which a
    # read-only standby would refuse anyway.
    replica["TEST"] = {"MIRROR": "default", **replica.get("TEST", {})}
    return replica
