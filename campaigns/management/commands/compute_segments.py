from typing import Any

from django.core.management.base import BaseCommand

from campaigns.segments import segments_compute


class Command(BaseCommand):
    help = "Recompute every member's RFM scores and segment (periodic; safe to rerun)."

    def handle(self, *args: Any, **options: Any) -> None:
        run = segments_compute()
        detail = ", ".join(f"{name} {count}" for name, count in sorted(run.by_segment.items()))
        self.stdout.write(f"Scored {run.members} member(s){': ' + detail if detail else ''}.")
