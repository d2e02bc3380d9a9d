from typing import Any

from django.core.management.base import BaseCommand

from campaigns.lifecycle import campaigns_run


class Command(BaseCommand):
    help = "Enter eligible members into every active lifecycle campaign (periodic; safe to rerun)."

    def handle(self, *args: Any, **options: Any) -> None:
        runs = campaigns_run()
        for run in runs:
            self.stdout.write(f"{run.campaign.name}: {run.treatment} sent, {run.holdout} held out.")
        if not runs:
            self.stdout.write("No active campaigns.")
