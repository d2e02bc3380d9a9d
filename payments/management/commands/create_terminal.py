from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.models import Store
from payments.services.terminals import terminal_create


class Command(BaseCommand):
    help = "Create an API terminal for a store and print its key once (the last line of output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="store slug")
        parser.add_argument("--name", required=True, help="terminal name, unique within the store")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with slug {options['store']!r}.")
        if store.terminals.filter(name=options["name"]).exists():
            raise CommandError(f"Store {store.slug} already has a terminal named {options['name']!r}.")
        terminal, key = terminal_create(store=store, name=options["name"])
        self.stdout.write(f"Terminal {terminal.pk} created for {store.name}. Keep this key; it is not shown again:")
        self.stdout.write(key)
