from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cafe_loyalty.core.roles import ROLES
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
            # Password reset is by emailed code in the same browser session, so
            # the invitation points the person at the reset page to start it.
            site = settings.CAFE_SITE_URL.rstrip("/")
            send_mail(
                subject=f"You're invited to {store.name} on Cafe Loyalty",
                message=(
                    f"Hello,\n\nYou have been added as {options['role']} at {store.name}.\n"
                    f"To choose your password, open {site}/accounts/password/reset/ and enter {user.email};"
                    " we will email you a code.\nOn your first sign-in you will set up two-factor authentication"
                    " with an authenticator app.\n"
                ),
                from_email=None,
                recipient_list=[user.email],
            )
        verb = "Invited" if created else "Updated"
        self.stdout.write(f"{verb} {user.email} as {options['role']} at {store.name}.")
