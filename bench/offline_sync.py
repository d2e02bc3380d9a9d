"""`offline_sync_500_s`: seconds to sync one batch of 500 queued offline sales
(POST /api/v1/offline/sales, in-process, SQLite): 400 in cash or card, 100
paid with offline codes of 50 members. The test suite calls it on its test
database (it must stay under 10 s); `make bench` runs it in a child process
with its own SQLite database and a fresh programme key."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SALES, MEMBERS = 500, 50


def offline_sync_500_s() -> float:
    """Wall-clock seconds of one batch of 500 sales (see offline_sync_500_timed)."""
    return offline_sync_500_timed()[0]


def offline_sync_500_timed() -> tuple[float, float]:
    """Set up a store, its menu and 50 members paying offline, then time one
    batch of 500 sales: (wall-clock seconds, CPU seconds of this process,
    SQLite's work included as it runs in-process). Needs a database and
    CAFE_OFFLINE_KEY set."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.utils import timezone
    from rest_framework.test import APIClient

    from members.services import member_create
    from payments.management.commands.load_menu_demo import load_menu_demo
    from payments.models import Order, Product, Store
    from payments.services.offline.formats import code_build
    from payments.services.offline.holds import offline_enable
    from payments.services.offline.keys import b64url_decode
    from payments.services.terminals import terminal_create
    from payments.services.top_ups import wallet_top_up

    if not Product.objects.filter(sku="latte").exists():
        load_menu_demo()
    store = Store.objects.create(name="Offline bench", slug=f"offline-bench-{uuid.uuid4().hex[:8]}")
    _terminal, key = terminal_create(store=store, name="Bench till")
    now = timezone.now()
    codes = []
    for i in range(MEMBERS):
        member = member_create(user=None, display_name=f"Offline {i}", email=f"offline-{uuid.uuid4().hex}@example.com")
        wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
        device = ec.generate_private_key(ec.SECP256R1())
        spki = device.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        issued = offline_enable(
            member=member,
            device_public_key=base64.b64encode(spki).decode(),
            allowance=30_000,
            reauthenticated=True,
        )
        for counter in (1, 2):
            codes.append(
                code_build(
                    certificate=b64url_decode(issued.text),
                    device_key=device,
                    counter=counter,
                    made_at=now - timedelta(minutes=30),
                    amount_cap=12_000,
                )
            )
    sales: list[dict[str, Any]] = []
    for i in range(SALES):
        at = (now - timedelta(minutes=30) + timedelta(seconds=i)).isoformat()
        if i % 5 == 0:
            lines = [{"sku": "latte", "quantity": 1, "unit_price": 12_000}]
            tenders = [{"kind": "offline_wallet", "amount": 12_000, "code": codes[i // 5]}]
        else:
            lines = [{"sku": "latte", "quantity": 2, "unit_price": 12_000}]
            tenders = [{"kind": "cash" if i % 2 else "card", "amount": 24_000}]
        sales.append({"idempotency_key": uuid.uuid4().hex, "rung_up_at": at, "lines": lines, "tenders": tenders})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    before = Order.objects.count()
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.post("/api/v1/offline/sales", {"sales": sales}, format="json")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    results = response.json()["results"]
    created = sum(1 for r in results if r["status"] == "created")
    if response.status_code != 200 or created != SALES or Order.objects.count() - before != SALES:
        raise RuntimeError(f"offline sync bench: {created} of {SALES} created ({response.status_code})")
    return elapsed, cpu


def _measure() -> None:
    """Runs in a child process with its own SQLite database."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"{offline_sync_500_s():.3f}")


def run() -> dict[str, float]:
    # The app is not set up in this process: the key is made here directly.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cafe_loyalty.settings",
            "DEBUG": "false",
            "CAFE_TESTING": "true",
            "DATABASE_URL": f"sqlite:///{tmp}/offline.sqlite3",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "CAFE_OFFLINE_KEY": pem,
            "CAFE_DISABLE_RATE_LIMITS": "true",
        }
        out = subprocess.run(
            [sys.executable, "-m", "bench.offline_sync"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
    return {"offline_sync_500_s": float(out.stdout.strip().splitlines()[-1])}


if __name__ == "__main__":
    _measure()
