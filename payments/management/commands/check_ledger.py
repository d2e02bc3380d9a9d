from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.selectors.ledger import ledger_problems


class Command(BaseCommand):
    help = "Verify the wallet ledger invariants; exits non-zero naming each failing account."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_problems()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} ledger invariant(s) failed")
        self.stdout.write("Ledger OK: debits equal credits, accounts match their transfers, no wallet negative.")
