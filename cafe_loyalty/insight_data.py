"""Realistic volumes for the insight benchmarks (`manage.py generate_insight_data`):
members, two years of visits, orders with lines from the menu, and the points
they earned, written by PostgreSQL itself (INSERT … SELECT over
generate_series), so a million orders take a minute, not an hour of ORM saves.

The shapes, so reports and the CLV fit have something real to chew:

- members join over two years; about a third stop coming at some point;
- how often a member comes is lognormal (most come now and then, a few daily),
  so visits per member are skewed as at a real cafe; each member has their
  own usual spend (lognormal around NT$130) and home store (four in five
  visits there);
- visits fall in opening hours with a morning peak, a lunch bump and a quiet
  evening; weekends are a little quieter;
- orders are members' visits (as many as asked for, spread evenly over the
  visits), plus walk-in orders without a member when more orders than visits
  are asked for; one to three lines each, popular drinks more often, each
  with an option from every modifier group its product offers (the default
  most often; an extra shot now and then) priced in; the visit's amount is
  its order's total; about one order in 200 refunded whole;
- consents: every member's email choices when they joined, about 60% agreeing
  to personalised offers (by email, half of them by portal notification too),
  so the recommendations job has its real audience;
- points: one point per NT$25 of a member's order, in a lot that expires a
  year later; lots already past their expiry are expired (an entry each), so
  balances, entries and lots agree as `check_points` wants.

Nothing here touches the money ledger: orders carry no tenders (wallet
liability stays what it was)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cafe_loyalty.insight_lines import write_consents, write_line_modifiers
from cafe_loyalty.insight_offers import write_promotions
from cafe_loyalty.insight_sql import insert_select, move_sequence, next_id, run_sql
from members.models import Member, PointsEntry, PointsLot, Visit
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, OrderLine, Product, Store

YEARS = 2
CHURN_SHARE = 0.35
HOME_STORE_SHARE = 0.8
WEEKEND_SHARE_KEPT = 0.8  # weekend visits kept: a little quieter
WEEKEND_KEPT = 1 - (1 - WEEKEND_SHARE_KEPT) * 2 / 7  # share of all visits kept, to scale the draw up by
MINOR_PER_POINT = 2_500  # NT$25 a point
# Local hours a visit can fall in, each repeated by how busy it is.
HOUR_WEIGHTS = {7: 6, 8: 12, 9: 10, 10: 6, 11: 5, 12: 8, 13: 7, 14: 5, 15: 6, 16: 5, 17: 4, 18: 3, 19: 2, 20: 1}
# A product's weight when lines pick one: drinks by how popular they are; others 2.
POPULAR = {"latte": 10, "americano": 8, "cappuccino": 5, "flat-white": 4, "drip": 4, "croissant": 4}
TEMP_TABLES = (
    "gen_products, gen_stores, gen_members, gen_weights, gen_visits, gen_orders, gen_lines, gen_totals,"
    " gen_choices, gen_line_mods, gen_line_extra, gen_consents"
)
BENCH_STORES = [("bench-central", "Bench Central"), ("bench-station", "Bench Station"), ("bench-park", "Bench Park")]


class Refused(Exception):
    """The data would go where it must not (a real database, or one that is not PostgreSQL)."""


@dataclass(frozen=True)
class Generated:
    members: int
    visits: int
    orders: int
    lines: int
    points_lots: int
    promotion_awards: int


def refusal(*, bench: bool, force: bool) -> str | None:
    """Why generating here is refused, or None. Only on PostgreSQL; only with
    DEBUG or the explicit bench flag; only into a database without members
    unless forced."""
    if connection.vendor != "postgresql":
        return "generate_insight_data needs PostgreSQL (it uses generate_series)."
    if not (settings.DEBUG or bench):
        return "generate_insight_data runs only with DEBUG=true or --bench (it writes invented members)."
    if not force and Member.objects.exists():
        return "The database already has members; generate into an empty one, or pass --force."
    return None


def _stores() -> list[Store]:
    stores = list(Store.objects.filter(is_active=True).order_by("pk"))
    if stores:
        return stores
    return [Store.objects.create(slug=slug, name=name) for slug, name in BENCH_STORES]


def _products() -> list[Product]:
    if not Product.objects.filter(is_active=True).exists():
        load_menu_demo()
    return list(Product.objects.filter(is_active=True).order_by("pk"))


def _setup_temp(*, members: int, visits: int, orders: int, now: datetime, seed: float) -> None:
    """Temp tables gen_members, gen_visits, gen_orders, gen_lines (dropped at commit)."""
    stores, products = _stores(), _products()
    store_ids = [s.pk for s in stores]
    slugs = [s.slug for s in stores]
    hours = [hour for hour, weight in HOUR_WEIGHTS.items() for _ in range(weight)]
    weighted = [p.pk for p in products for _ in range(POPULAR.get(p.sku, 2))]
    tz = settings.TIME_ZONE
    days = 365 * YEARS
    run_sql("SELECT setseed(%s)", [seed])
    run_sql("CREATE TEMP TABLE gen_products ON COMMIT DROP AS SELECT id, price FROM payments_product WHERE is_active")
    run_sql(
        "CREATE TEMP TABLE gen_stores ON COMMIT DROP AS"
        " SELECT n, id, slug FROM unnest(%s::bigint[], %s::text[]) WITH ORDINALITY AS s(id, slug, n)",
        [store_ids, slugs],
    )
    # Per member: joined, stopped coming (or still comes), how often, usual spend, home store.
    # Normal draws by Box–Muller; (1 - random()) keeps ln() off zero.
    run_sql(
        "CREATE TEMP TABLE gen_members ON COMMIT DROP AS"
        " SELECT g, joined, CASE WHEN random() < %s THEN joined + (%s - joined) * random() ELSE %s END AS left_at,"
        " exp(1.1 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS rate,"
        " 13000 * exp(0.3 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS spend,"
        " 1 + floor(random() * %s)::int AS home"
        " FROM (SELECT g, %s - interval '1 day' * (3 + (%s - 3) * random()) AS joined"
        " FROM generate_series(1, %s) g) m",
        [CHURN_SHARE, now, now, len(stores), now, days, members],
    )
    run_sql(
        "CREATE TEMP TABLE gen_weights ON COMMIT DROP AS SELECT g, rate * extract(epoch FROM left_at - joined)"
        " / sum(rate * extract(epoch FROM left_at - joined)) OVER () * %s AS share FROM gen_members",
        [visits / WEEKEND_KEPT],
    )
    # Visits: stochastic rounding of each member's share, a time between joining
    # and leaving, an hour from HOUR_WEIGHTS in the programme's time zone.
    run_sql(
        "CREATE TEMP TABLE gen_visits ON COMMIT DROP AS"
        " SELECT row_number() OVER () AS v, g, at, store, amount FROM ("
        "  SELECT m.g, (date_trunc('day', (m.joined + (m.left_at - m.joined) * random()) AT TIME ZONE %s)"
        "   + make_interval(hours => (%s::int[])[1 + floor(random() * %s)::int], mins => floor(random() * 60)::int)"
        "   ) AT TIME ZONE %s AS at,"
        "  CASE WHEN random() < %s THEN m.home ELSE 1 + floor(random() * %s)::int END AS store,"
        "  (round(m.spend * (0.5 + random()) / 500) * 500)::bigint AS amount"
        "  FROM gen_members m JOIN gen_weights w USING (g)"
        "  CROSS JOIN LATERAL generate_series(1, floor(w.share + random())::int) AS k"
        " ) raw WHERE at <= %s AND (extract(isodow FROM at AT TIME ZONE %s) < 6 OR random() < %s)",
        [tz, hours, len(hours), tz, HOME_STORE_SHARE, len(stores), now, tz, WEEKEND_SHARE_KEPT],
    )
    run_sql("CREATE INDEX ON gen_visits (v)")
    run_sql("ANALYZE gen_visits")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM gen_visits")
        visit_count = int(cursor.fetchone()[0])
    # Orders: `orders` of the visits, evenly spread (visit v is chosen when
    # v × orders ÷ visits crosses a whole number), then walk-ins for the rest.
    from_visits = min(orders, visit_count)
    run_sql(
        "CREATE TEMP TABLE gen_orders ON COMMIT DROP AS"
        " SELECT row_number() OVER (ORDER BY v) AS o, v, g, at, store FROM gen_visits"
        " WHERE %s > 0 AND (v * %s) / %s > ((v - 1) * %s) / %s",
        [from_visits, from_visits, max(visit_count, 1), from_visits, max(visit_count, 1)],
    )
    run_sql(
        "INSERT INTO gen_orders (o, v, g, at, store)"
        " SELECT %s + k, NULL, NULL, %s - interval '1 day' * %s * random(), 1 + floor(random() * %s)::int"
        " FROM generate_series(1, %s) k",
        [from_visits, now, days, len(stores), orders - from_visits],
    )
    run_sql(
        "CREATE TEMP TABLE gen_lines ON COMMIT DROP AS SELECT row_number() OVER () AS n, o, product, quantity FROM ("
        " SELECT o, (%s::bigint[])[1 + floor(random() * %s)::int] AS product,"
        " CASE WHEN random() < 0.08 THEN 2 ELSE 1 END AS quantity"
        # `0 * o` ties the count to the row: without it PostgreSQL draws it once for all orders.
        " FROM gen_orders CROSS JOIN LATERAL generate_series(1,"
        "  1 + (random() + 0 * o < 0.45)::int + (random() + 0 * o < 0.15)::int) AS k) raw",
        [weighted, len(weighted)],
    )
    write_line_modifiers(products)
    run_sql(
        "CREATE TEMP TABLE gen_totals ON COMMIT DROP AS"
        " SELECT l.o, sum(l.quantity * (p.price + coalesce(e.extra, 0))) AS subtotal, sum(l.quantity) AS items"
        " FROM gen_lines l JOIN gen_products p ON p.id = l.product LEFT JOIN gen_line_extra e USING (n) GROUP BY l.o"
    )
    run_sql("CREATE INDEX ON gen_totals (o)")
    run_sql("CREATE INDEX ON gen_orders (v)")


def generate(*, members: int, visits: int, orders: int, seed: float = 0.17, now: datetime | None = None) -> Generated:
    """Write it all in one transaction; refusal() must have been asked first."""
    now = now or timezone.now()
    with transaction.atomic():
        _setup_temp(members=members, visits=visits, orders=orders, now=now, seed=seed)
        member_base, order_base, line_base = next_id(Member), next_id(Order), next_id(OrderLine)
        made_members = insert_select(
            Member,
            {
                "id": f"{member_base} + g",
                "card_number": f"'7' || lpad(({member_base} + g)::text, 11, '0')",
                "display_name": "'Guest ' || g",
                "email": f"'insight' || ({member_base} + g) || '@bench.example'",
                "preferred_language": "(ARRAY['zh-hant', 'zh-hant', 'en', 'zh-hans'])[1 + mod(g, 4)]",
                "created_at": "joined",
            },
            "FROM gen_members",
            [],
        )
        move_sequence(Member)
        status_refunded = "mod(o.o, 200) = 7"
        made_orders = insert_select(
            Order,
            {
                "id": f"{order_base} + o.o",
                "store_id": "s.id",
                "member_id": f"CASE WHEN o.g IS NULL THEN NULL ELSE {member_base} + o.g END",
                "status": f"CASE WHEN {status_refunded} THEN 'refunded' ELSE 'paid' END",
                "channel": "CASE mod(o.o, 25) WHEN 3 THEN 'ahead' WHEN 5 THEN 'api' WHEN 11 THEN 'api' ELSE 'till' END",
                "prep_status": "CASE mod(o.o, 25) WHEN 3 THEN 'collected' END",
                "collected_at": "CASE mod(o.o, 25) WHEN 3 THEN o.at + interval '6 minutes' END",
                "subtotal": "t.subtotal",
                "discount": "0",
                "total": "t.subtotal",
                "refunded_amount": f"CASE WHEN {status_refunded} THEN t.subtotal ELSE 0 END",
                "refund_steps": f"CASE WHEN {status_refunded} THEN 1 ELSE 0 END",
                "points_earned": f"CASE WHEN o.g IS NULL THEN 0 ELSE t.subtotal / {MINOR_PER_POINT} END",
                "created_at": "o.at - interval '2 minutes'",
                "paid_at": "o.at",
            },
            "FROM gen_orders o JOIN gen_totals t USING (o) JOIN gen_stores s ON s.n = o.store ORDER BY o.at",
            [],
        )
        move_sequence(Order)
        made_lines = insert_select(
            OrderLine,
            {
                "id": f"{line_base} + l.n",
                "order_id": f"{order_base} + l.o",
                "product_id": "l.product",
                "quantity": "l.quantity",
                "unit_price": "p.price + coalesce(e.extra, 0)",
                "modifiers_label": "coalesce(e.label, '')",
                "refunded_quantity": "CASE WHEN mod(l.o, 200) = 7 THEN l.quantity ELSE 0 END",
            },
            "FROM gen_lines l JOIN gen_products p ON p.id = l.product LEFT JOIN gen_line_extra e USING (n)",
            [],
        )
        move_sequence(OrderLine)
        run_sql(
            f"INSERT INTO {OrderLine.modifiers.through._meta.db_table} (orderline_id, modifieroption_id)"  # noqa: S608
            " SELECT %s + n, option FROM gen_line_mods",
            [line_base],
        )
        write_consents(member_base)
        made_visits = insert_select(
            Visit,
            {
                "member_id": f"{member_base} + v.g",
                "at": "v.at",
                "amount": "coalesce(t.subtotal, v.amount)",
                "reference": f"CASE WHEN o.o IS NULL THEN 'bench:' || v.v ELSE 'order:' || ({order_base} + o.o) END",
                "store_slug": "s.slug",
            },
            # In time order, as a cafe's visits arrive: reports read a month's visits from neighbouring pages.
            "FROM gen_visits v LEFT JOIN gen_orders o ON o.v = v.v LEFT JOIN gen_totals t ON t.o = o.o"
            " JOIN gen_stores s ON s.n = v.store ORDER BY v.at",
            [],
        )
        made_lots = _points(order_base=order_base, now=now)
        made_awards = write_promotions(order_base=order_base, now=now, store=_stores()[0])
        # Dropped here, not only at commit: inside an outer transaction (a test) commit is later.
        run_sql(f"DROP TABLE {TEMP_TABLES}")
        run_sql("ANALYZE")
    return Generated(made_members, made_visits, made_orders, made_lines, made_lots, made_awards)


def _points(*, order_base: int, now: datetime) -> int:
    """A lot and an earn entry per member order that earned points; an expire
    entry per lot already past its year; balances = the live lots."""
    earned = (
        f"FROM payments_order WHERE id > {order_base} AND member_id IS NOT NULL AND points_earned > 0"
        " AND status = 'paid'"
    )
    lots = insert_select(
        PointsLot,
        {
            "member_id": "member_id",
            "points": "points_earned",
            "remaining": "CASE WHEN paid_at + interval '1 year' > %s THEN points_earned ELSE 0 END",
            "earned_at": "paid_at",
            "expires_at": "paid_at + interval '1 year'",
            "expired_at": "CASE WHEN paid_at + interval '1 year' > %s THEN NULL ELSE paid_at + interval '1 year' END",
            "source": "'order'",
            "reference": "'order:' || id",
        },
        earned,
        [now, now],
    )
    entry = {"member_id": "member_id", "reference": "'order:' || id", "explanation": "''"}
    earn = {**entry, "source": "'order'", "kind": "'earn'", "points": "points_earned", "created_at": "paid_at"}
    insert_select(PointsEntry, earn, earned, [])
    insert_select(
        PointsEntry,
        {**entry, "source": "'expiry'", "kind": "'expire'", "points": "-points_earned"}
        | {"created_at": "paid_at + interval '1 year'"},
        earned + " AND paid_at + interval '1 year' <= %s",
        [now],
    )
    run_sql(
        "UPDATE members_member m SET points_balance = l.live FROM (SELECT member_id, sum(remaining) AS live"
        " FROM members_pointslot WHERE remaining > 0 GROUP BY member_id) l WHERE l.member_id = m.id"
    )
    return lots
