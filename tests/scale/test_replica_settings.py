"""DATABASE_REPLICA_URL as settings read it (cafe_loyalty.databases): no
variable, no replica and no router; with it, the alias "replica" that
connects as the primary does unless its URL says otherwise, the router, and
a test mirror of "default" so Django's test runner makes no second test
database of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import environ
import pytest

from cafe_loyalty.databases import database_routers, databases

ROOT = Path(__file__).resolve().parents[2]
ROUTER = "cafe_loyalty.core.replica.ReplicaRouter"
PRIMARY = "postgres://cafe@primary.example:5432/cafe"
STANDBY = "postgres://reader@standby.example:5432/cafe"


def read(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict[str, dict[str, Any]]:
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL", "DATABASE_POOL", "DATABASE_PREPARE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return databases(environ.Env(), default_url="sqlite:///unused.sqlite3")


def test_without_the_variable_there_is_no_replica_and_no_router(monkeypatch: pytest.MonkeyPatch) -> None:
    found = read(monkeypatch, DATABASE_URL=PRIMARY)
    assert list(found) == ["default"]
    assert database_routers(found) == []


def test_the_replica_connects_as_the_primary_does(monkeypatch: pytest.MonkeyPatch) -> None:
    found = read(monkeypatch, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL=STANDBY)
    primary, replica = found["default"], found["replica"]
    assert (replica["HOST"], replica["USER"]) == ("standby.example", "reader")
    # Pool and prepared statements as the primary's, in a copy of its own.
    assert replica["OPTIONS"] == primary["OPTIONS"]
    assert replica["OPTIONS"]["pool"] is not primary["OPTIONS"]["pool"]
    assert replica["TEST"] == {"MIRROR": "default"}
    assert database_routers(found) == [ROUTER]


def test_the_replica_takes_the_primarys_connection_age_and_health_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    found = read(
        monkeypatch,
        DATABASE_URL=PRIMARY + "?conn_max_age=300&conn_health_checks=True",
        DATABASE_POOL="false",  # Django refuses persistent connections beside a pool
        DATABASE_REPLICA_URL=STANDBY,
    )
    assert (found["replica"]["CONN_MAX_AGE"], found["replica"]["CONN_HEALTH_CHECKS"]) == (300, True)
    assert "pool" not in found["replica"]["OPTIONS"]


def test_what_the_replica_url_says_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    found = read(
        monkeypatch, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL=STANDBY + "?prepare_threshold=0&conn_max_age=60"
    )
    replica = found["replica"]
    assert replica["OPTIONS"]["prepare_threshold"] == 0
    assert found["default"]["OPTIONS"]["prepare_threshold"] == 2
    # Persistent connections asked for: the primary's pool is not taken with them.
    assert replica["CONN_MAX_AGE"] == 60
    assert "pool" not in replica["OPTIONS"]
    assert "pool" in found["default"]["OPTIONS"]


def test_a_replica_of_another_engine_takes_none_of_the_primarys_options(monkeypatch: pytest.MonkeyPatch) -> None:
    found = read(monkeypatch, DATABASE_URL="sqlite:///primary.sqlite3", DATABASE_REPLICA_URL=STANDBY)
    assert found["replica"].get("OPTIONS", {}) == {}


SHOW = """
import json
from django.conf import settings
from django.db import router
from django.test.utils import get_unique_databases_and_mirrors
from cafe_loyalty.core.replica import replica_reads
from payments.models import Order
with replica_reads():
    alias = router.db_for_read(Order)
created, mirrors = get_unique_databases_and_mirrors()
print(json.dumps({"aliases": sorted(settings.DATABASES), "routers": settings.DATABASE_ROUTERS,
                  "read": alias, "test_databases": len(created), "mirrors": mirrors}))
"""


@pytest.mark.parametrize("with_replica", [False, True])
def test_settings_add_the_replica_its_router_and_a_test_mirror(tmp_path: Path, with_replica: bool) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'primary.sqlite3'}",
    }
    if with_replica:
        env["DATABASE_REPLICA_URL"] = f"sqlite:///{tmp_path / 'replica.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    if with_replica:
        assert shown == {
            "aliases": ["default", "replica"],
            "routers": [ROUTER],
            "read": "replica",
            "test_databases": 1,  # the replica is the primary's test database under another name
            "mirrors": {"replica": "default"},
        }
    else:
        assert shown == {"aliases": ["default"], "routers": [], "read": "default", "test_databases": 1, "mirrors": {}}
