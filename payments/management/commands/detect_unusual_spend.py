from typing import Any

from django.core.management.base import BaseCommand

from payments.services.risk import unusual_spend_detect


class Command(BaseCommand):
    help = "Alert managers and members to wallet spending far above the member's usual day (run every few minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Raised {unusual_spend_detect()} unusual-spend alert(s).")
