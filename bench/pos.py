"""Median server time of the till's add-to-cart and pay requests on SQLite,
measured in-process with Django's test client (no network in the figure)."""

from __future__ import annotations

import cProfile
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 150


def _measure() -> None:
    """Runs in a child process with its own SQLite database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from cafe_loyalty.core.roles import BARISTA
    from members.services import member_create
    from payments.management.commands.load_menu_demo import load_menu_demo
    from payments.models import Order, Product, ProgrammeSettings, Store, StoreStaff
    from payments.services.codes import payment_code_issue
    from payments.services.top_ups import wallet_top_up

    load_menu_demo()
    # Every round's payment must go through: the wallet holds enough for all
    # of them (before, NT$9,000 paid 66 lattes and the other 84 rounds timed a
    # refusal for insufficient funds).
    limits = {"velocity_per_minute": 100_000, "daily_limit_cap": 10**12, "wallet_cap": 10**12, "max_top_up": 10**12}
    ProgrammeSettings.objects.update_or_create(pk=1, defaults=limits)
    store = Store.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user(username="b", email="b@example.com", password="x-long-pass-1")
    user.groups.add(Group.objects.get(name=BARISTA))
    StoreStaff.objects.create(user=user, store=store, role=BARISTA)
    member = member_create(user=None, display_name="Bench", email="m@example.com")
    wallet_top_up(member=member, amount=ROUNDS * 1_000_000, tender="cash", store=store)
    client = Client()
    client.force_login(user)
    latte = Product.objects.get(sku="latte")
    add_ms: list[float] = []
    pay_ms: list[float] = []
    # POS_PROFILE=FILE: the pay requests' CPU profile, for pstats (the figures
    # then include the profiler's cost: measure without it).
    profile_to = os.environ.get("POS_PROFILE", "")
    profiler = cProfile.Profile(time.process_time_ns, 1e-9) if profile_to else None
    for _ in range(ROUNDS):
        client.post("/pos/new/")
        client.get("/pos/")
        order = Order.objects.get(pk=client.session["pos_order_id"])
        started = time.perf_counter()
        client.post(f"/pos/orders/{order.pk}/add/{latte.pk}/", HTTP_HX_REQUEST="true")
        add_ms.append((time.perf_counter() - started) * 1000)
        client.post(
            f"/pos/orders/{order.pk}/scan/", {"code": payment_code_issue(member=member).code}, HTTP_HX_REQUEST="true"
        )
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        paid = client.post(
            f"/pos/orders/{order.pk}/pay/", {"kind": "wallet", "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="true"
        )
        if profiler:
            profiler.disable()
        pay_ms.append((time.perf_counter() - started) * 1000)
        if b'data-testid="paid"' not in paid.content:  # a refusal is not the figure this bench reports
            raise SystemExit(f"round {len(pay_ms)}: the wallet payment was not taken")
    if profiler:
        profiler.dump_stats(profile_to)
    print(f"{statistics.median(add_ms):.2f} {statistics.median(pay_ms):.2f}")


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cafe_loyalty.settings",
            "DEBUG": "false",
            "CAFE_TESTING": "true",
            "DATABASE_URL": f"sqlite:///{tmp}/pos.sqlite3",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "CAFE_STAFF_REQUIRE_MFA": "false",
        }
        out = subprocess.run(
            [sys.executable, "-m", "bench.pos"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
    add_ms, pay_ms = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
    return {"pos_add_to_cart_ms_median": add_ms, "pos_pay_ms_median": pay_ms, "pos_rounds": ROUNDS}


if __name__ == "__main__":
    _measure()
