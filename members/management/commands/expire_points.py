import time
from typing import Any

from django.core.management.base import BaseCommand

from members.points_expiry import points_expire_due


class Command(BaseCommand):
    help = "Expire points lots whose expiry has passed (set-based, idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        count = points_expire_due()
        self.stdout.write(f"Expired {count} lot(s) in {time.monotonic() - started:.2f}s.")
