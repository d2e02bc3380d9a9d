from typing import Any

from django.core.management.base import BaseCommand

from cafe_loyalty.core.replica import replica_reads
from campaigns.clv.scoring import clv_compute


class Command(BaseCommand):
    help = (
        "Fit the CLV models (BG/NBD visits, Gamma-Gamma spend) on visit history and score every member"
        " (periodic, after compute_segments; safe to rerun)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Visit history is read from the replica when there is one; scores are written to the primary.
        with replica_reads():
            fit = clv_compute().fit
        if fit is None:
            self.stdout.write("Not enough visit history to fit the CLV models yet.")
            return
        line = f"Scored {fit.members} member(s): r={fit.r:.3f} alpha={fit.alpha:.3f} a={fit.a:.3f} b={fit.b:.3f}"
        self.stdout.write(f"{line}, p={fit.p:.2f} q={fit.q:.2f} gamma={fit.gamma:.1f}.")
        if fit.calibration:
            cal = fit.calibration
            self.stdout.write(
                f"Holdout {fit.holdout_days} days: predicted {cal['predicted']} visits, actual {cal['actual']}."
            )
