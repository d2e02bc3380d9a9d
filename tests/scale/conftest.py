"""A second PostgreSQL database standing in for the replica, for the
replica tests (test_replica_pg, test_replica_reports_pg): it holds different
data from the primary, so what a page or job shows can only have come from
where it read."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from cafe_loyalty.core.replica import REPLICA
from cafe_loyalty.databases import database_routers


# Module scope: set up before the test's own database fixtures, which check the alias exists.
@pytest.fixture(scope="module")
def replica_database(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The alias "replica" and its router, as DATABASE_REPLICA_URL would add
    them, on a database of its own (named after this worker's test database)."""
    with django_db_blocker.unblock():
        primary = connections["default"].settings_dict
        replica = copy.deepcopy(primary)
        # Tables straight from the models (MIGRATE off): a replica receives
        # its schema from the primary, and old data migrations write to "default".
        replica["TEST"] = {**replica.get("TEST", {}), "NAME": f"{primary['NAME']}_replica", "MIGRATE": False}
        connections.settings[REPLICA] = replica
        routed = override_settings(DATABASE_ROUTERS=database_routers(connections.settings))
        routed.enable()
        created = connections[REPLICA].creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield created
        finally:
            connections[REPLICA].creation.destroy_test_db(created, verbosity=0)
            routed.disable()
            del connections[REPLICA]
            del connections.settings[REPLICA]
