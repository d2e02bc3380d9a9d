"""`manage.py expire_offline_holds`: the periodic job that ends offline
certificates past their expiry and sync grace, returning their holds to the
wallets. Idempotent: a second run finds nothing to do."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from payments.services.offline.holds import offline_certificates_expire


class Command(BaseCommand):
    help = "Return the holds of expired offline certificates to the wallets."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = offline_certificates_expire()
        self.stdout.write(f"{ended} offline certificate(s) ended")
