"""Runs inside a Django process pointed at the benchmark database: makes a
store, a terminal, funded members and a stock of payment codes, and prints
them as JSON for the load driver."""

from __future__ import annotations

import json
import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cafe_loyalty.settings")
    django.setup()
    from members.services import member_create
    from payments.models import PaymentCode, ProgrammeSettings, Store
    from payments.services.codes import payment_code_issue
    from payments.services.terminals import terminal_create
    from payments.services.top_ups import wallet_top_up

    members_count, codes_per_member = int(sys.argv[1]), int(sys.argv[2])
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
    codes: list[str] = []
    for i in range(members_count):
        member = member_create(user=None, display_name=f"Bench {i}", email=f"bench{i}@example.com")
        wallet_top_up(member=member, amount=10**9, tender="cash", store=store)
        codes.extend(payment_code_issue(member=member).code for _ in range(codes_per_member))
    # Each member may normally hold five live codes; the bench pre-issues more.
    PaymentCode.objects.update(retired_at=None)
    print(json.dumps({"key": key, "codes": codes}))


if __name__ == "__main__":
    main()
