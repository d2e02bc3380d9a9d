"""An integrator's first day: a typed client generated from the live
`/api/schema/` with openapi-python-client, used as generated (no edits),
runs a whole flow over HTTP against a live server."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from payments.models import Account, Payment, Store
from payments.services.terminals import terminal_create
from tests.conftest import PASSWORD

PACKAGE = "cafe_api_client"
# No post hooks: the default runs ruff over the generated code, which only
# reformats it; the client must work exactly as generated.
CONFIG = f"package_name_override: {PACKAGE}\nproject_name_override: cafe-api-client\npost_hooks: []\n"


def generate_client(schema_url: str, folder: Path) -> None:
    schema = folder / "schema.yaml"
    schema.write_bytes(httpx.get(schema_url, timeout=30).raise_for_status().content)
    config = folder / "config.yaml"
    config.write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [generator, "generate", "--path", schema, "--config", config, "--meta", "none"]
    done = subprocess.run(
        [str(part) for part in [*command, "--output-path", folder / PACKAGE]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # A warning means a part of the schema the generator could not turn into
    # code (it leaves that operation or model out).
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr


@pytest.fixture
def client_package(live_server: Any, tmp_path: Path) -> Iterator[ModuleType]:
    """The generated package, importable as `cafe_api_client` for the test."""
    generate_client(f"{live_server.url}/api/schema/", tmp_path)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def member_signs_in(base_url: str, email: str) -> str:
    """The member claims the account the till made (the password reset is the
    portal's, not this API's) and signs in through allauth's app API."""
    user = get_user_model().objects.get(email=email)
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.filter(user=user).update(verified=True)
    login = httpx.post(f"{base_url}/_allauth/app/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["meta"]["session_token"])


# Transactional: the live server's thread must see what the test commits.
@pytest.mark.django_db(transaction=True)
def test_a_client_generated_from_the_schema_runs_the_whole_flow(live_server: Any, client_package: ModuleType) -> None:
    models = module("models")
    client_module = module("client")
    members_create = module("api.v1.v1_members_create")
    topups_create = module("api.v1.v1_topups_create")
    code_create = module("api.v1.v1_me_payment_code_create")
    payments_create = module("api.v1.v1_payments_create")
    payments_retrieve = module("api.v1.v1_payments_retrieve")
    refunds_create = module("api.v1.v1_payments_refunds_create")
    me_retrieve = module("api.v1.v1_me_retrieve")

    store = Store.objects.create(name="Client Roastery", slug="client-roastery")
    _terminal, key = terminal_create(store=store, name="Kiosk")
    till = client_module.AuthenticatedClient(base_url=live_server.url, token=key, raise_on_unexpected_status=True)

    enrolled = members_create.sync_detailed(
        client=till, body=models.MemberCreateInputRequest(email="lin@example.com", name="Lin")
    )
    assert enrolled.status_code == 201, enrolled.content
    card = enrolled.parsed.card_number
    assert isinstance(enrolled.parsed, models.MemberSummaryOutput)
    assert enrolled.parsed.wallet_balance == 0

    topped = topups_create.sync_detailed(
        client=till,
        body=models.TopUpInputRequest(member=card, amount=50_000, tender=models.TopUpTender.CASH),
        idempotency_key=uuid.uuid4().hex,
    )
    assert topped.status_code == 201, topped.content
    assert topped.parsed.wallet_balance == 50_000 + topped.parsed.bonus

    token = member_signs_in(live_server.url, "lin@example.com")
    phone = client_module.AuthenticatedClient(
        base_url=live_server.url,
        token=token,
        prefix="",
        auth_header_name="X-Session-Token",
        raise_on_unexpected_status=True,
    )
    issued = code_create.sync_detailed(client=phone)
    assert issued.status_code == 201, issued.content
    code = issued.parsed.code

    key_one = uuid.uuid4().hex
    paid = payments_create.sync_detailed(
        client=till, body=models.PaymentInputRequest(payment_code=code, amount=12_000), idempotency_key=key_one
    )
    assert paid.status_code == 201, paid.content
    payment = paid.parsed
    assert isinstance(payment, models.PaymentCreatedOutput)
    assert payment.status is models.PaymentStatus.SUCCEEDED
    assert payment.member == card
    assert payment.wallet_balance == topped.parsed.wallet_balance - 12_000

    replay = payments_create.sync_detailed(
        client=till, body=models.PaymentInputRequest(payment_code=code, amount=12_000), idempotency_key=key_one
    )
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.parsed.to_dict() == payment.to_dict()
    assert Payment.objects.count() == 1

    read = payments_retrieve.sync_detailed(payment.id, client=till)
    assert read.status_code == 200
    assert read.parsed.status is models.PaymentStatus.SUCCEEDED
    assert read.parsed.refunded_amount == 0

    part = refunds_create.sync_detailed(
        payment.id, client=till, body=models.RefundInputRequest(amount=2_000), idempotency_key=uuid.uuid4().hex
    )
    assert part.status_code == 201, part.content
    assert (part.parsed.amount, part.parsed.payment) == (2_000, payment.id)
    rest = refunds_create.sync_detailed(
        payment.id, client=till, body=models.RefundInputRequest(), idempotency_key=uuid.uuid4().hex
    )
    assert rest.status_code == 201, rest.content
    assert rest.parsed.amount == 10_000  # what was left
    assert rest.parsed.wallet_balance == topped.parsed.wallet_balance
    assert payments_retrieve.sync_detailed(payment.id, client=till).parsed.refunded_amount == 12_000

    refused = payments_create.sync_detailed(
        client=till, body=models.PaymentInputRequest(payment_code=code, amount=500), idempotency_key=uuid.uuid4().hex
    )
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.code is models.ProblemCode.PAYMENT_CODE_USED
    assert refused.headers["Content-Type"].startswith("application/problem+json")

    me = me_retrieve.sync_detailed(client=phone)
    assert me.status_code == 200
    assert me.parsed.card_number == card
    assert me.parsed.wallet_balance == Account.objects.get(member__card_number=card).balance
