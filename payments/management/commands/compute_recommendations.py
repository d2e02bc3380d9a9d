from typing import Any

from django.core.management.base import BaseCommand

from payments.recommendations.compute import recommendations_compute


class Command(BaseCommand):
    help = (
        'Work out "your usual" and "you may like" for every member who agreed to personalised offers'
        " (nightly; safe to rerun)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = recommendations_compute().run
        self.stdout.write(
            f"Recommendations for {run.members} member(s), {run.holdout_members} of them in the holdout;"
            f" {run.baskets} member histories in {run.seconds:.2f} s."
        )
