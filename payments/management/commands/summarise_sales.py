"""`manage.py summarise_sales`: the nightly job that writes the sales report's
summary (yesterday, and past days changed by refunds or late orders since the
last run), the retention report's (members.visit_months: last month),
the liability report's (members.points_months: last month) and the
repurchase report's (members.visit_gaps: the same days, and days of visits
synced late);
`--since 2025-01-01` (and `--until`) rewrites a span, for the first run or
after a menu's categories were reorganised. Idempotent.

Unlike the compute_* jobs it reads the primary, even with a replica
configured (each summarise service enters `primary_reads()`): a summary is
written once, and each run records where the next starts (the time it
started, for refunds and late orders; the newest committed visit id, found
under a SHARE lock on the primary's visits, for visits synced late). Rows a
lagging replica had not received yet would fall behind that mark and stay
out of the summaries for good (cafe_loyalty.core.replica)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from members.points_months import points_months_summarise
from members.visit_gaps import visit_gaps_summarise
from members.visit_months import last_month, visit_months_summarise
from payments.services.sales_summary import sales_days_to_summarise, sales_summarise


class Command(BaseCommand):
    help = "Write the sales report's daily summary (nightly; --since to backfill)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="First day to rewrite (YYYY-MM-DD)")
        parser.add_argument("--until", type=date.fromisoformat, help="Last day to rewrite (default yesterday)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = timezone.now()
        yesterday = timezone.localdate(started, timezone.get_default_timezone()) - timedelta(days=1)
        days = sales_days_to_summarise(now=started)
        if options["since"]:
            until = min(options["until"] or yesterday, yesterday)
            days |= {options["since"] + timedelta(days=i) for i in range((until - options["since"]).days + 1)}
        count = sales_summarise(days=days, started=started)
        self.stdout.write(f"Summarised {count} day(s) of sales")
        # Visits by member and month for the retention report, and the points
        # ledger by month and kind for the liability report: the months of the
        # days above (only closed months are written) and last month.
        months = last_month(now=started) | {day.replace(day=1) for day in days}
        count = visit_months_summarise(months=months, started=started)
        self.stdout.write(f"Summarised {count} month(s) of visits")
        count = points_months_summarise(months=months, started=started)
        self.stdout.write(f"Summarised {count} month(s) of points")
        # The days between visits for the repurchase report: the sales days
        # (yesterday, a backfill's span) and days that visits synced late are on.
        count = visit_gaps_summarise(days=days, started=started)
        self.stdout.write(f"Summarised {count} day(s) of visit gaps")
