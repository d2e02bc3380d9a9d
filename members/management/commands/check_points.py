from typing import Any

from django.core.management.base import BaseCommand, CommandError

from members.selectors import points_problems


class Command(BaseCommand):
    help = "Verify every member's points balance against their entries and lots; non-zero exit naming the member."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = points_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} member(s) with inconsistent points")
        self.stdout.write("Points OK: every balance equals its entries and its unexpired lots.")
