from typing import Any

from django.core.management.base import BaseCommand

from cafe_loyalty.core.replica import replica_reads
from payments.recommendations.compute import recommendations_compute


class Command(BaseCommand):
    help = (
        'Work out "your usual" and "you may like" for every member who agreed to personalised offers'
        " (nightly; safe to rerun)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Purchases, consents and the menu are read from the replica when there is
        # one; the recommendations and the run are written to the primary.
        with replica_reads():
            run = recommendations_compute().run
        self.stdout.write(
            f"Recommendations for {run.members} member(s), {run.holdout_members} of them in the holdout;"
            f" {run.baskets} member histories in {run.seconds:.2f} s."
        )
