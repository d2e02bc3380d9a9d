"""`compute_recommendations` at scale on PostgreSQL: members, their orders
(one per visit) with lines and options are loaded with generate_series,
then the job is timed. `recommendations_seconds()` is what a combined
nightly bench (segments, CLV, recommendations) calls on a loaded database;
`orders_load()` fills one for it. Standalone:
`python -m tests.pgcluster -- python -m bench.recommendations` prints
`recommendations_100k_s=…` (BENCH_MEMBERS, BENCH_VISITS change the size)."""

from __future__ import annotations

import os
import time
from typing import Any

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
VISITS = int(os.environ.get("BENCH_VISITS", "2000000"))
CONSENT_SHARE = 0.6  # members who agreed to personalised offers


def orders_load(cursor: Any, *, first_member: int, members: int, visits: int, consent: bool = True) -> None:
    """One paid order per visit over the last 170 days at the first store,
    one to three lines each: mostly the member's favourite item (their id
    picks it), else any; coffee lines take a size and a milk. Members
    `first_member` … `first_member + members - 1` must exist, and the demo menu."""
    cursor.execute("SELECT min(id) FROM payments_store")
    store = cursor.fetchone()[0]
    cursor.execute("SELECT array_agg(id ORDER BY id) FROM payments_product")
    products = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO payments_order (store_id, channel, member_id, status, subtotal, discount, total,"
        " refunded_amount, refund_steps, points_earned, points_explanation, scanned_code_hash, member_proven,"
        " created_at, paid_at) SELECT %s, 'till', %s + (g %% %s), 'paid', 12000, 0, 12000, 0, 0, 0, '', '', false,"
        " now() - (g %% 170) * interval '1 day', now() - (g %% 170) * interval '1 day'"
        " FROM generate_series(0, %s - 1) g",
        [store, first_member, members, visits],
    )
    cursor.execute(
        "INSERT INTO payments_orderline (order_id, product_id, quantity, unit_price, modifiers_label, note,"
        " refunded_quantity) SELECT o.id, (%s::bigint[])[1 + CASE WHEN random() < 0.6"
        " THEN (o.member_id + n) %% %s ELSE floor(random() * %s)::int END], 1, 12000, '', '', 0"
        " FROM payments_order o CROSS JOIN LATERAL generate_series(1, 1 + (o.id %% 3) / 2) n",
        [products, len(products), len(products)],
    )
    cursor.execute(
        "INSERT INTO payments_orderline_modifiers (orderline_id, modifieroption_id)"
        " SELECT l.id, m.id FROM payments_orderline l JOIN payments_product_modifiers pm"
        " ON pm.product_id = l.product_id JOIN payments_modifieroption m ON m.id = pm.modifieroption_id"
        " WHERE m.is_default OR (m.group_en = 'Milk' AND l.id %% 4 = 0 AND m.name_en = 'Oat milk')"
        " ON CONFLICT DO NOTHING",
        [],
    )
    if consent:
        cursor.execute(
            "INSERT INTO members_consent (member_id, channel, purpose, granted, recorded_at, source)"
            " SELECT %s + g, 'email', 'personalised', true, now(), 'bench' FROM generate_series(0, %s - 1) g"
            " WHERE random() < %s",
            [first_member, members, CONSENT_SHARE],
        )
    cursor.execute("ANALYZE")


def recommendations_seconds() -> float:
    """The nightly recommendations job on the loaded database, timed."""
    from payments.recommendations.compute import recommendations_compute

    started = time.perf_counter()
    recommendations_compute()
    return time.perf_counter() - started


def _measure() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cafe_loyalty.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from payments.management.commands.load_menu_demo import load_menu_demo
    from payments.models import Store

    load_menu_demo()
    Store.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_member (card_number, display_name, email, phone, preferred_language, points_balance,"
            " created_at, tier_override_reason, large_and_simple) SELECT '8' || lpad(g::text, 11, '0'), 'Bench ' || g,"
            " 'b' || g || '@example.com', '', 'en', 0, now(), '', false FROM generate_series(1, %s) g",
            [MEMBERS],
        )
        cursor.execute("SELECT min(id) FROM members_member")
        first = cursor.fetchone()[0]
        orders_load(cursor, first_member=first, members=MEMBERS, visits=VISITS)
    print(f"# loaded {MEMBERS:,} members, {VISITS:,} orders in {time.perf_counter() - loaded:.0f} s", flush=True)
    from django.utils import timezone

    from payments.recommendations import compute

    started = time.perf_counter()
    bought = compute.purchases_in_window(since=timezone.now() - compute.WINDOW, until=timezone.now())
    print(f"# of which reading {len(bought.options):,} rows: {time.perf_counter() - started:.2f} s", flush=True)
    store = compute._store
    stored: list[float] = []

    def timed_store(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return store(*args, **kwargs)
        finally:
            stored.append(time.perf_counter() - began)

    compute._store = timed_store
    seconds = recommendations_seconds()
    print(f"# of which storing: {stored[0]:.2f} s", flush=True)
    from payments.models import RecommendationRun

    run = RecommendationRun.objects.first()
    assert run is not None
    print(f"# {run.members:,} members with recommendations, {run.holdout_members:,} in the holdout")
    print(f"recommendations_100k_s={seconds:.2f}")


if __name__ == "__main__":
    _measure()
