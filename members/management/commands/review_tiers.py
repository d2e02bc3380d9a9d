from typing import Any

from django.core.management.base import BaseCommand

from members.tiers import tiers_review_due


class Command(BaseCommand):
    help = "Nightly tier review: re-evaluate members whose review date has passed (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{tiers_review_due()} member(s) changed tier.")
