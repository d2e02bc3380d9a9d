"""Demo data for `make run`: stores, a terminal, staff and a member with money.

Idempotent: a second run changes nothing and creates no duplicates. Each area
has its own function so later features add theirs beside these.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext

from cafe_loyalty.core.roles import BARISTA, MANAGER, SHIFT_MANAGER
from campaigns.demo import load_campaigns_demo
from members.services import member_get_or_create_for_user, username_for_email
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import ProgrammeSettings, Store, StoreHours, TopUpBonusRule
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import order_pay_by_code
from payments.services.staff import staff_invite
from payments.services.terminals import terminal_create
from payments.services.top_ups import wallet_top_up

DEMO_PASSWORD = "demo-pass-1234"
# A fixed, documented TOTP secret so a person can add the demo staff accounts
# to an authenticator app. Demo data only; never used outside `load_demo`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"

STORES = [
    ("daan", "Da'an Roastery", "No. 12, Lane 3, Da'an Rd, Taipei", "Mon–Fri 07:30–19:00, Sat–Sun 08:30–18:00"),
    ("xinyi", "Xinyi Station", "B1, No. 7 Songren Rd, Xinyi, Taipei", "Daily 07:00–21:00"),
]
# Opening hours by weekday (0 = Monday), matching the text above; order ahead
# is taken inside them.
STORE_HOURS = {
    "daan": [(day, "07:30", "19:00") for day in range(5)] + [(day, "08:30", "18:00") for day in (5, 6)],
    "xinyi": [(day, "07:00", "21:00") for day in range(7)],
}
# Where the demo stores are (the portal lists the nearest first).
STORE_LOCATIONS = {"daan": ("25.026400", "121.543400"), "xinyi": ("25.033000", "121.565400")}
STAFF = [
    ("barista@demo.cafe", "Bao (barista)", BARISTA),
    ("shift@demo.cafe", "Shu (shift manager)", SHIFT_MANAGER),
    ("manager@demo.cafe", "Ming (manager)", MANAGER),
    # A second manager: large coupons, bonus rules and points adjustments wait for one.
    ("manager2@demo.cafe", "Hua (manager)", MANAGER),
]


class Command(BaseCommand):
    help = "Load demo stores, staff and members (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # Demo staff share a published password and TOTP secret: never on a real installation.
            raise CommandError(
                gettext(
                    "load_demo runs only with DEBUG=true: its staff accounts share a published password and "
                    "authenticator secret."
                )
            )
        with transaction.atomic():
            stores = self.load_stores()
            self.load_programme()
            self.load_staff(stores["daan"])
        self.load_member(stores["daan"])
        load_menu_demo()
        load_campaigns_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins are listed in README.md."))

    def load_stores(self) -> dict[str, Store]:
        stores = {}
        for slug, name, address, hours in STORES:
            store, _ = Store.objects.get_or_create(
                slug=slug, defaults={"name": name, "address": address, "opening_hours": hours}
            )
            stores[slug] = store
            if store.latitude is None:
                latitude, longitude = STORE_LOCATIONS[slug]
                Store.objects.filter(pk=store.pk).update(latitude=latitude, longitude=longitude)
            if not store.hours.exists():
                # First run (or a demo database from before order ahead):
                # hours, and order ahead on with its default preparation time.
                StoreHours.objects.bulk_create(
                    StoreHours(
                        store=store, weekday=day, opens=time.fromisoformat(opens), closes=time.fromisoformat(closes)
                    )
                    for day, opens, closes in STORE_HOURS[slug]
                )
                Store.objects.filter(pk=store.pk).update(ahead_enabled=True)
        if not stores["daan"].terminals.exists():
            terminal, key = terminal_create(store=stores["daan"], name="Front till")
            self.stdout.write(f"API terminal '{terminal.name}' for {stores['daan'].name}; its key (shown once):")
            self.stdout.write(f"  {key}")
        return stores

    def load_programme(self) -> None:
        ProgrammeSettings.current()
        TopUpBonusRule.objects.get_or_create(
            name="Top up NT$1,000, get NT$100", defaults={"min_amount": 100_000, "bonus": 10_000}
        )

    def user(self, email: str, name: str) -> Any:
        User = get_user_model()
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                username=username_for_email(email), email=email, password=DEMO_PASSWORD, first_name=name
            )
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
        return user

    def load_staff(self, store: Store) -> None:
        from allauth.mfa.totp.internal.auth import TOTP

        for email, name, role in STAFF:
            user = self.user(email, name)
            staff_invite(store=store, email=email, role=role, name=name)
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, DEMO_TOTP_SECRET)

    def load_member(self, store: Store) -> None:
        user = self.user("member@demo.cafe", "Mei Lin")
        member = member_get_or_create_for_user(user=user)
        if member.display_name != "Mei Lin":
            member.display_name = "Mei Lin"
            member.save(update_fields=["display_name"])
        if not member.top_ups.exists():
            wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
        if not member.payments.exists():
            # One earlier visit, so the card shows points and history from the start.
            code = payment_code_issue(member=member).code
            order_pay_by_code(code_hash=hash_payment_code(code), amount=15_000, store=store, reference="demo")
