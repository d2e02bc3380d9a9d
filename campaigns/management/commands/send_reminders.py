from typing import Any

from django.core.management.base import BaseCommand

from campaigns.reminders import reminders_send


class Command(BaseCommand):
    help = "Tell members once what ends soon: coupons, rewards, points, promotions (hourly or daily; safe to rerun)."

    def handle(self, *args: Any, **options: Any) -> None:
        told = reminders_send()
        if not told:
            self.stdout.write("Quiet hours: nothing sent.")
        for kind, count in told.items():
            self.stdout.write(f"{kind}: {count} member(s) reminded.")
