"""`manage.py generate_insight_data --members 100000 --visits 2000000 --orders 1000000`:
invented members, visits, orders and points for the insight benchmarks
(cafe_loyalty.insight_data). PostgreSQL only; refuses a database that has
members unless --force, and runs only with DEBUG=true or --bench."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cafe_loyalty.insight_data import generate, refusal


class Command(BaseCommand):
    help = "Generate realistic members, visits, orders and points for benchmarks (PostgreSQL; empty database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=100_000)
        parser.add_argument("--visits", type=int, default=2_000_000)
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument("--seed", type=float, default=0.17, help="PostgreSQL setseed(), between -1 and 1.")
        parser.add_argument("--bench", action="store_true", help="Allow it with DEBUG off (a benchmark database).")
        parser.add_argument("--force", action="store_true", help="Add to a database that already has members.")

    def handle(self, *args: Any, **options: Any) -> None:
        why = refusal(bench=options["bench"], force=options["force"])
        if why:
            raise CommandError(why)
        counts = [options[name] for name in ("members", "visits", "orders")]
        if min(counts) < 0 or options["members"] == 0 or not -1 <= options["seed"] <= 1:
            raise CommandError("Counts must not be negative, members at least 1, and the seed between -1 and 1.")
        started = time.monotonic()
        made = generate(
            members=options["members"], visits=options["visits"], orders=options["orders"], seed=options["seed"]
        )
        self.stdout.write(
            f"Generated {made.members} members, {made.visits} visits, {made.orders} orders"
            f" ({made.lines} lines), {made.points_lots} points lots, {made.promotion_awards} promotion awards"
            f" in {time.monotonic() - started:.1f} s."
        )
