from typing import Any

from allauth.account.forms import ResetPasswordForm
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import RequestFactory

from cafe_loyalty.roles import ROLES
from payments.models import Store
from payments.services.staff import staff_invite


class Command(BaseCommand):
    help = "Invite a person to a store as Barista, Shift manager or Manager (emails a set-password link)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="store slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--name", default="")
        parser.add_argument("--no-email", action="store_true", help="do not send the set-password email")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with slug {options['store']!r}.")
        user, created = staff_invite(store=store, email=options["email"], role=options["role"], name=options["name"])
        if created and not options["no_email"]:
            form = ResetPasswordForm(data={"email": user.email})
            if form.is_valid():
                request = RequestFactory().get("/")
                form.save(request)
        verb = "Invited" if created else "Updated"
        self.stdout.write(f"{verb} {user.email} as {options['role']} at {store.name}.")
