"""Reports and nightly jobs may read from a read replica.

With DATABASE_REPLICA_URL set, settings add the database alias "replica" and
this router (cafe_loyalty.databases). Reads go there only inside
`replica_reads()` (a context manager and decorator): every report page and
its CSV enter it through `replica_view`, and the nightly `compute_segments`,
`compute_clv` and `compute_recommendations` around their reads. Every
other read, and every write, stays on the primary. Who is asking and what
they may do (users, permissions, sessions: ID_APPS) is read on the primary
even inside, so a manager just given a permission is not refused by a
replica that has not caught up; and `replica_view` leaves a POST (an admin
list's action) on the primary, as it acts on what it reads. Without the
variable there is no "replica" alias, no router, and `replica_reads()`
changes nothing.

Hand-written SQL bypasses the router: it runs on
`connections[reading_alias()]`, and a transaction it needs (one snapshot for
two statements, SET LOCAL) is opened on that alias too.

A replica lags the primary by a moment: figures read there may miss the
last second's sales, which a report or a nightly job that only scores can
live with and a payment could not (no payment path enters `replica_reads`).

`summarise_sales` could not: its services read the primary
(`primary_reads()`, which wins over an enclosing `replica_reads()`). A
summary is written once, and each run records where the next one starts:
the time it started (payments.services.sales_summary: refunds and late
orders from then on), and the newest visit id below which every visit is
committed (members.visit_gaps._visits_committed_through, under a SHARE lock
on the primary's visits: that lock orders it after every commit, which no
replica read can). Read on a lagging replica, a row committed on the
primary but not yet replayed would fall behind the mark and stay out of the
summaries for good, not just for a moment."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest
from django.template.response import SimpleTemplateResponse

REPLICA = "replica"
# Who is asking and what they may do (users, permissions, sessions, and
# allauth's addresses, second factors and session list): read where written.
ID_APPS = frozenset({"auth", "contenttypes", "sessions", "account", "mfa", "usersessions"})
_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_replica", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send ORM reads made inside to the replica, when there is one."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Keep reads made inside on the primary, even within `replica_reads()`:
    for work whose correctness, not only freshness, needs the primary."""
    token = _reading_replica.set(False)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def replica_view(view: Callable[P, R]) -> Callable[P, R]:
    """For a report page's view (a function or an admin method taking the
    request): its reads on the replica, the template's included (a
    TemplateResponse is rendered inside: a template may read too, as the
    admin list's filters read their choices); a CSV is written inside
    anyway. A request other than GET or HEAD (an admin list's action) runs
    as it would without this, on the primary."""

    @functools.wraps(view)
    def read_on_replica(*args: P.args, **kwargs: P.kwargs) -> R:
        request = next(arg for arg in (*args, *kwargs.values()) if isinstance(arg, HttpRequest))
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        with replica_reads():
            response = view(*args, **kwargs)
            if isinstance(response, SimpleTemplateResponse):
                response.render()
            return response

    return read_on_replica


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_alias() -> str:
    """The alias reads go to here and now (for hand-written SQL that bypasses the router)."""
    return REPLICA if _reading_replica.get() and replica_configured() else DEFAULT_DB_ALIAS


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if model._meta.app_label in ID_APPS:  # type: ignore[attr-defined]
            return DEFAULT_DB_ALIAS
        return REPLICA if _reading_replica.get() and replica_configured() else None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data: a row read on the replica may be
        # related to one on the primary (a report's member, a job's upsert).
        return True
