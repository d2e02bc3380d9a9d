"""The nightly recommendations job (`manage.py compute_recommendations`).

One SQL aggregate reads what every member bought in the last WINDOW (per
member, item and set of options); numpy and scipy do the rest for all
members at once: each member's usual (their most bought item, with the
options they most often take with it), item-to-item lift over all members'
baskets (payments.recommendations.lift), and for each member who agreed to
personalised offers the LIKES_KEPT items that go best with what they buy,
leaving out what they already buy and items no longer sold. Sold out and
the store's menu are checked when a page shows them (they change by the
hour; this runs at night).

Members are split once and for all into shown and holdout by a hash of
their id: the holdout (HOLDOUT_PERCENT) get recommendations computed but
never shown, so the admin report can compare how often each group buys what
was picked for it. Safe to rerun: the recommendations are replaced, the
first time each item was picked for a member (the exposure) is kept.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection, connections, transaction
from django.utils import timezone
from numpy.typing import NDArray
from scipy import sparse

from cafe_loyalty.core.replica import reading_alias
from members.selectors import member_ids_agreeing_to_personalised_offers
from payments.models import Order, Product, Recommendation, RecommendationRun
from payments.recommendations.lift import Matrix, baskets_matrix, co_occurrence, item_lift, like_scores, top_items

WINDOW = timedelta(days=180)
LIKES_KEPT = 6  # pages show three; the spares stand in for what is sold out
PAIRS_KEPT = 5  # per item, for the report's "what goes with what"
MIN_PAIR_MEMBERS = 5
HOLDOUT_PERCENT = 10
HOLDOUT_SALT = "cafe-recommendations-1"  # changing it reshuffles who is in the holdout
USUAL, LIKE = Recommendation.Kind.USUAL.value, Recommendation.Kind.LIKE.value  # plain str for the database
CHUNK = 20_000  # members scored at a time: bounds the memory of the score matrix


def in_holdout(member_id: int) -> bool:
    """Stable: the same member is always in the same group."""
    digest = hashlib.sha256(f"{HOLDOUT_SALT}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HOLDOUT_PERCENT


@dataclass(frozen=True)
class Purchases:
    """One row per member, item and set of options bought in the window."""

    member_ids: NDArray[np.int64]
    product_ids: NDArray[np.int64]
    quantities: NDArray[np.float64]
    options: list[str]  # the options' ids, comma-separated in ascending order


# What each member bought, by item and set of options (ids ascending, comma
# separated), in one aggregate; only the options' list differs by database.
PURCHASES = {
    "postgresql": (
        "SELECT o.member_id, l.product_id, COALESCE((SELECT string_agg(lm.modifieroption_id::text, ','"
        " ORDER BY lm.modifieroption_id) FROM payments_orderline_modifiers lm WHERE lm.orderline_id = l.id), ''),"
        " SUM(l.quantity - l.refunded_quantity) FROM payments_orderline l JOIN payments_order o ON o.id = l.order_id"
        " WHERE o.member_id IS NOT NULL AND o.status = %s AND o.paid_at >= %s AND o.paid_at < %s"
        " AND l.quantity > l.refunded_quantity GROUP BY 1, 2, 3"
    ),
    "sqlite": (
        "SELECT o.member_id, l.product_id, COALESCE((SELECT group_concat(s.id, ',') FROM"
        " (SELECT lm.modifieroption_id AS id FROM payments_orderline_modifiers lm WHERE lm.orderline_id = l.id"
        " ORDER BY lm.modifieroption_id) s), ''),"
        " SUM(l.quantity - l.refunded_quantity) FROM payments_orderline l JOIN payments_order o ON o.id = l.order_id"
        " WHERE o.member_id IS NOT NULL AND o.status = %s AND o.paid_at >= %s AND o.paid_at < %s"
        " AND l.quantity > l.refunded_quantity GROUP BY 1, 2, 3"
    ),
}
STORE = (
    "INSERT INTO payments_recommendation"
    " (member_id, product_id, kind, rank, score, modifier_ids, holdout, computed_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
COPY = (
    "COPY payments_recommendation (member_id, product_id, kind, rank, score, modifier_ids, holdout, computed_at)"
    " FROM STDIN"
)
COPY_PAIRS = "COPY payments_productpair (product_id, other_id, rank, lift, members_together) FROM STDIN"
STORE_PAIRS = (
    "INSERT INTO payments_productpair (product_id, other_id, rank, lift, members_together) VALUES (%s, %s, %s, %s, %s)"
)
# The first time an item is picked for a member is kept (exposure since then).
EXPOSE = (
    "INSERT INTO payments_recommendationexposure (member_id, product_id, holdout, since)"
    " SELECT member_id, product_id, holdout, computed_at FROM payments_recommendation WHERE kind = %s"
    " ON CONFLICT (member_id, product_id) DO NOTHING"
)


def purchases_in_window(*, since: datetime, until: datetime) -> Purchases:
    """Items members bought (paid, less what was refunded), summed in the
    database: the replica's inside `replica_reads()` (the nightly command)."""
    database = connections[reading_alias()]
    with database.cursor() as cursor:
        cursor.execute(PURCHASES[database.vendor], [Order.Status.PAID, since, until])
        rows = cursor.fetchall()
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return Purchases(empty, empty, np.empty(0), [])
    members, products, options, quantities = zip(*rows, strict=True)
    return Purchases(
        np.array(members, dtype=np.int64),
        np.array(products, dtype=np.int64),
        np.array(quantities, dtype=np.float64),
        list(options),
    )


@dataclass(frozen=True)
class Usual:
    member_rows: NDArray[np.intp]  # rows of the members' index
    product_cols: NDArray[np.intp]
    quantities: NDArray[np.float64]
    options: list[list[int]]


def _usuals(kept: Purchases, rows: NDArray[np.intp], cols: NDArray[np.intp], counts: sparse.csr_matrix) -> Usual:
    """Each member's most bought item (ties: the lowest id) and, of the
    option sets they took it with, the most frequent."""
    totals = np.asarray(counts.max(axis=1).todense()).ravel()
    usual = np.asarray(counts.argmax(axis=1)).ravel()
    usual[totals <= 0] = -1
    match = usual[rows] == cols
    lines = np.flatnonzero(match)
    # Most bought option set first within each member; the first row per member wins.
    order = np.lexsort((-kept.quantities[lines], rows[lines]))
    lines = lines[order]
    _, first = np.unique(rows[lines], return_index=True)
    chosen = lines[first]
    options = [[int(i) for i in kept.options[line].split(",") if i] for line in chosen]
    return Usual(rows[chosen], cols[chosen], totals[rows[chosen]], options)


@dataclass(frozen=True)
class RecommendationsResult:
    run: RecommendationRun


def recommendations_compute(*, now: datetime | None = None) -> RecommendationsResult:
    """Compute and store every eligible member's recommendations from the
    order lines of the last WINDOW. Only members who agreed to personalised
    offers get rows; lift is worked out over every member's basket (counts
    across members, at least MIN_PAIR_MEMBERS a pair)."""
    started = time.perf_counter()
    now = now or timezone.now()
    bought = purchases_in_window(since=now - WINDOW, until=now)
    if not bought.options:
        run = _store([], [], now=now, baskets=0, seconds_so_far=time.perf_counter() - started)
        return RecommendationsResult(run=run)
    member_ids, rows = np.unique(bought.member_ids, return_inverse=True)
    product_ids, cols = np.unique(bought.product_ids, return_inverse=True)
    active = np.isin(product_ids, list(Product.objects.filter(is_active=True).values_list("pk", flat=True)))
    eligible = np.isin(member_ids, list(member_ids_agreeing_to_personalised_offers()))
    shape = (len(member_ids), len(product_ids))
    counts = sparse.csr_matrix((bought.quantities, (rows, cols)), shape=shape)
    counts = counts @ sparse.diags(active.astype(np.float64))  # no usual that is no longer sold
    keep = eligible[rows] & active[cols]
    kept = Purchases(
        bought.member_ids[keep],
        bought.product_ids[keep],
        bought.quantities[keep],
        list(itertools.compress(bought.options, keep.tolist())),
    )
    usual = _usuals(kept, rows[keep], cols[keep], counts.tocsr())
    baskets = baskets_matrix(rows, cols, shape=shape)
    together = co_occurrence(baskets)
    lift = item_lift(baskets, min_pair=MIN_PAIR_MEMBERS, together=together)
    pairs = _pair_records(lift, together, active, product_ids)
    records = _usual_records(usual, member_ids, product_ids)
    scored = np.flatnonzero(eligible)
    for start in range(0, len(scored), CHUNK):
        part = scored[start : start + CHUNK]
        scores = like_scores(baskets[part], lift)
        scores[:, ~active] = 0.0
        best, values = top_items(scores, LIKES_KEPT)
        for row, items, item_scores in zip(part.tolist(), best.tolist(), values.tolist(), strict=True):
            member_id = int(member_ids[row])
            for rank, (col, score) in enumerate(zip(items, item_scores, strict=True)):
                if score > 0:
                    records.append((member_id, int(product_ids[col]), LIKE, rank, score, "[]"))
    run = _store(records, pairs, now=now, baskets=len(member_ids), seconds_so_far=time.perf_counter() - started)
    return RecommendationsResult(run=run)


def _pair_records(lift: Matrix, together: Matrix, active: NDArray[np.bool_], product_ids: NDArray[np.int64]) -> list:
    """For each item still sold, the PAIRS_KEPT items still sold that go with it most (lift above 1)."""
    usable = lift * active[:, None] * active[None, :]
    best, values = top_items(usable, PAIRS_KEPT)
    return [
        (int(product_ids[i]), int(product_ids[j]), rank, value, int(together[i, j]))
        for i, (items, item_values) in enumerate(zip(best.tolist(), values.tolist(), strict=True))
        for rank, (j, value) in enumerate(zip(items, item_values, strict=True))
        if value > 1
    ]


def _usual_records(usual: Usual, member_ids: NDArray[np.int64], product_ids: NDArray[np.int64]) -> list[tuple]:
    return [
        (int(member_ids[row]), int(product_ids[col]), USUAL, 0, float(quantity), _json(options))
        for row, col, quantity, options in zip(
            usual.member_rows.tolist(),
            usual.product_cols.tolist(),
            usual.quantities.tolist(),
            usual.options,
            strict=True,
        )
    ]


def _json(ids: list[int]) -> str:
    return "[" + ",".join(str(i) for i in ids) + "]"


def _insert(cursor: Any, insert: str, copy: str, rows: list[tuple]) -> None:
    """Every row in one go: COPY on PostgreSQL (400,000 rows in a second or
    two, where one INSERT a row takes a minute), one statement run over all
    rows on SQLite (an embedded database: no round trips to save)."""
    if connection.vendor != "postgresql":
        cursor.executemany(insert, rows)
        return
    with cursor.copy(copy) as stream:
        for row in rows:
            stream.write_row(row)


def _store(
    records: list[tuple], pairs: list[tuple], *, now: datetime, baskets: int, seconds_so_far: float
) -> RecommendationRun:
    started = time.perf_counter()
    at = connection.ops.adapt_datetimefield_value(now)
    holdout = {member_id: in_holdout(member_id) for member_id in {record[0] for record in records}}
    rows = [(*record, holdout[record[0]], at) for record in records]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM payments_recommendation")
            cursor.execute("DELETE FROM payments_productpair")
            _insert(cursor, STORE, COPY, rows)
            _insert(cursor, STORE_PAIRS, COPY_PAIRS, pairs)
            cursor.execute(EXPOSE, [LIKE])
        return RecommendationRun.objects.create(
            computed_at=now,
            members=len(holdout),
            holdout_members=sum(holdout.values()),
            baskets=baskets,
            seconds=round(seconds_so_far + time.perf_counter() - started, 3),
        )
