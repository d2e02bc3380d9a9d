"""Runs inside a Django process pointed at the benchmark database: makes a
store, a terminal, funded members and a stock of payment codes, and prints
them as JSON for the load drivers."""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import timedelta

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cafe_loyalty.settings")
    django.setup()
    key, codes = prepare(int(sys.argv[1]), int(sys.argv[2]))
    print(json.dumps({"key": key, "codes": codes}))


def prepare(members_count: int, codes_per_member: int) -> tuple[str, list[str]]:
    """The store, terminal, members and codes; returns the terminal's key and the codes."""
    from django.utils import timezone

    from members.services import member_create
    from payments.models import PaymentCode, ProgrammeSettings, Store
    from payments.services.codes import CODE_LENGTH, CODE_PREFIX, hash_payment_code
    from payments.services.terminals import terminal_create
    from payments.services.top_ups import wallet_top_up

    ProgrammeSettings.objects.update_or_create(
        pk=1,
        defaults={
            "velocity_per_minute": 100_000,
            "daily_limit_cap": 10**12,
            "wallet_cap": 10**12,
            "max_top_up": 10**12,
        },
    )
    store = Store.objects.create(name="Bench", slug="bench")
    _, key = terminal_create(store=store, name="bench")
    members = []
    for i in range(members_count):
        member = member_create(user=None, display_name=f"Bench {i}", email=f"bench{i}@example.com")
        wallet_top_up(member=member, amount=10**9, tender="cash", store=store)
        members.append(member)
    # Each member may normally hold five live codes (payment_code_issue); the
    # bench writes its stock of codes directly, in rounds across members so
    # consecutive requests hit different wallets, as at a busy chain.
    now = timezone.now()
    codes: list[str] = []
    rows: list[PaymentCode] = []
    for _round in range(codes_per_member):
        for member in members:
            code = CODE_PREFIX + "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH - 1))
            codes.append(code)
            rows.append(
                PaymentCode(
                    member=member,
                    code_hash=hash_payment_code(code),
                    created_at=now,
                    expires_at=now + timedelta(hours=2),
                )
            )
    PaymentCode.objects.bulk_create(rows, batch_size=2_000)
    return key, codes


if __name__ == "__main__":
    main()
