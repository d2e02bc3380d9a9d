from typing import Any

from django.core.management.base import BaseCommand

from cafe_loyalty.core.replica import replica_reads
from campaigns.segments import segments_compute


class Command(BaseCommand):
    help = "Recompute every member's RFM scores and segment (periodic; safe to rerun)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Visit totals are read from the replica when there is one; segments are written to the primary.
        with replica_reads():
            run = segments_compute()
        detail = ", ".join(f"{name} {count}" for name, count in sorted(run.by_segment.items()))
        self.stdout.write(f"Scored {run.members} member(s){': ' + detail if detail else ''}.")
