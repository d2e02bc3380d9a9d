from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from campaigns.birthdays import birthday_rewards_grant


class Command(BaseCommand):
    help = "Give birthday points to members whose birthday month it is (once per member per year)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Granted {birthday_rewards_grant(today=timezone.localdate())} birthday reward(s).")
