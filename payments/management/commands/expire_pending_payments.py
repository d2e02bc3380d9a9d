from typing import Any

from django.core.management.base import BaseCommand

from payments.idempotency import idempotency_records_purge
from payments.services.codes import payment_codes_purge
from payments.services.orders import orders_expire_held


class Command(BaseCommand):
    help = "Expire payments left unconfirmed, and purge old payment codes and idempotency keys (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = orders_expire_held()
        codes = payment_codes_purge()
        keys = idempotency_records_purge()
        self.stdout.write(f"expired {expired} pending payments; purged {codes} codes and {keys} idempotency keys")
