"""What generate_insight_data (cafe_loyalty.insight_data) adds for the
recommendations job: the modifiers each order line was rung up with, and the
members' consents, about PERSONALISED_SHARE of them agreeing to personalised
offers. Both run inside the generator's transaction, on its temp tables."""

from __future__ import annotations

from django.db import connection

from cafe_loyalty.insight_sql import insert_select, run_sql
from members.models import Consent
from payments.models import ModifierOption, Product

PERSONALISED_SHARE = 0.6  # members agreeing to personalised offers (the recommendations job's audience)


def write_line_modifiers(products: list[Product]) -> None:
    """Temp tables gen_line_mods (the options each line was rung up with: one
    from every group its product offers, the default most often, an extra shot
    now and then) and gen_line_extra (per line their price and the label the
    till prints), as the till records them (payments.services.orders.cart)."""
    run_sql(
        "CREATE TEMP TABLE gen_choices (product bigint, options bigint[], prices bigint[], labels text[])"
        " ON COMMIT DROP"
    )
    rows = []
    for product in products:
        groups: dict[str, list[ModifierOption]] = {}
        for option in product.modifiers.order_by("group", "position"):
            groups.setdefault(option.group, []).append(option)
        for options in groups.values():
            # Weighted draws: the default three times; a group without a default may be left out (id 0).
            drawn: list[ModifierOption | None] = [o for o in options for _ in range(3 if o.is_default else 1)]
            drawn += [] if any(o.is_default for o in options) else [None] * 4
            rows.append(
                (
                    product.pk,
                    [o.pk if o else 0 for o in drawn],
                    [o.price if o else 0 for o in drawn],
                    # The till's label leaves out a free default (payments.services.orders.cart).
                    ["" if o is None or (o.is_default and not o.price) else o.name for o in drawn],
                )
            )
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO gen_choices VALUES (%s, %s::bigint[], %s::bigint[], %s::text[])", rows)
    run_sql(
        "CREATE TEMP TABLE gen_line_mods ON COMMIT DROP AS"
        " SELECT l.n, c.options[k] AS option, c.prices[k] AS price, c.labels[k] AS label"
        " FROM gen_lines l JOIN gen_choices c ON c.product = l.product"
        " CROSS JOIN LATERAL (SELECT 1 + floor(random() * array_length(c.options, 1) + 0 * l.n)::int AS k) pick"
    )
    run_sql("DELETE FROM gen_line_mods WHERE option = 0")
    run_sql(
        "CREATE TEMP TABLE gen_line_extra ON COMMIT DROP AS SELECT n, sum(price) AS extra,"
        " coalesce(string_agg(label, ', ' ORDER BY option) FILTER (WHERE label <> ''), '') AS label"
        " FROM gen_line_mods GROUP BY n"
    )
    run_sql("CREATE INDEX ON gen_line_extra (n)")


def write_consents(member_base: int) -> None:
    """Each member's email choices when they joined (receipts yes, offers
    about half), and about PERSONALISED_SHARE agreeing to personalised offers,
    by email and, for about half of them, as portal notifications too."""
    run_sql(
        "CREATE TEMP TABLE gen_consents ON COMMIT DROP AS"
        " SELECT id, created_at, random() < %s AS agrees, random() < 0.5 AS push, random() < 0.5 AS offers"
        " FROM members_member WHERE id > %s",
        [PERSONALISED_SHARE, member_base],
    )
    rows = (
        "FROM gen_consents c CROSS JOIN LATERAL (VALUES ('email', 'activity', true), ('email', 'marketing', c.offers),"
        " ('email', 'personalised', c.agrees), ('push', 'personalised', c.agrees)) AS v(channel, purpose, granted)"
        " WHERE v.channel = 'email' OR c.push"
    )
    given = {"member_id": "c.id", "channel": "v.channel", "purpose": "v.purpose", "granted": "v.granted"}
    insert_select(Consent, given | {"recorded_at": "c.created_at", "source": "'bench'"}, rows, [])
