from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from campaigns.broadcasts import broadcasts_send_due
from members.notices import messages_wait_until


class Command(BaseCommand):
    help = "Send scheduled messages that are due, outside quiet hours (every few minutes; safe to rerun)."

    def handle(self, *args: Any, **options: Any) -> None:
        runs = broadcasts_send_due()
        for run in runs:
            self.stdout.write(f"{run.broadcast.title}: sent to {run.sent} member(s), {run.by_email} by email.")
        if not runs:
            wait = messages_wait_until(now=timezone.now())
            self.stdout.write(f"Quiet hours until {wait:%Y-%m-%d %H:%M}." if wait else "No messages due.")
