"""The certificate and offline code formats, and their checks (formats.py)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from payments.models import OfflineProgrammeKey
from payments.services.offline import keys
from payments.services.offline.formats import (
    CERTIFICATE_SIZE,
    OfflineCodeInvalid,
    certificate_build,
    code_build,
    offline_code_check,
)
from payments.services.offline.keys import b64url, b64url_decode, key_generate, programme_public_keys
from tests.offline.conftest import Phone

# The README's test vector: programme key d=0x1111, device key d=0x2222 (P-256).
VECTOR_SPKI = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEDcx2SMeKMRjyYShm/oPvGfQDBPYjOZ4SEaEPKz0cBc8w6AJ2d7y5EpQ+mf9xFA6pvCRxO+G3XDH/"
    "QFRyTE+dAA=="
)
VECTOR_CODE = (
    "OF1.ATdo6_bDqegbAAAABzEyMzQ1Njc4OTAxMgSmLwSPNnNZgJwtRsIEnX178mjDwHPEcnU8sYokqK0gscrM-BBLZmeVx_NdrJ3ERLPCxhl4GYxJhZ"
    "lVuZlW2l7bAAB1MHDlEwCljRWbz4D2605wNEoCdfgDW4uD1RqfIzA0IGgPem7nlf5fAmZnwH0qDXq8PwoC8ypA5m5Ihhc4slq0UHewOIaDAAAAA3Dd"
    "VSUAADqYeC8nMphZgPCDaQXmoATiHZbDyi9HDI2JGiqK87PxgMju1HxJ-NYvO2Gj7efQoRmGk4O-owrpUFAYdvhRnIffUw"
)


def test_readme_test_vector_verifies_and_reads_back(db: Any) -> None:
    keys._public_keys.clear()
    OfflineProgrammeKey.objects.create(kid="3768ebf6c3a9e81b", public_key=VECTOR_SPKI)
    code = offline_code_check(text=VECTOR_CODE, amount=15_000, at=datetime(2030, 1, 2, 3, 5, tzinfo=UTC))
    cert = code.certificate
    assert (cert.kid, cert.cert_id, cert.card_number, cert.allowance) == ("3768ebf6c3a9e81b", 7, "123456789012", 30_000)
    assert cert.expires_at == datetime(2030, 1, 8, tzinfo=UTC)
    assert (code.counter, code.amount_cap, code.made_at) == (3, 15_000, datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert len(VECTOR_CODE) == 322 and len(VECTOR_CODE) < 400


def test_a_code_fits_a_qr_and_is_one_typeable_line(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    text = phone.code()
    assert text.startswith("OF1.") and len(text) < 400
    assert all(ch.isalnum() or ch in "-_." for ch in text)
    assert len(b64url_decode(phone.issued.text)) == CERTIFICATE_SIZE


def test_a_good_code_passes(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    code = offline_code_check(text=phone.code(amount_cap=10_000), amount=10_000, at=timezone.now())
    assert code.certificate.card_number == phone.member.card_number and code.counter == 1


def test_forged_certificate_is_refused(make_member: Callable[..., Any], phone_for: Any) -> None:
    """A certificate signed by a key that is not the programme's, claiming its
    kid (a bigger allowance, say), fails the programme signature."""
    phone: Phone = phone_for(make_member(balance=50_000))
    cert = offline_code_check(text=phone.code(), amount=1, at=timezone.now()).certificate
    forger = ec.generate_private_key(ec.SECP256R1())
    forged = certificate_build(
        kid=cert.kid,
        key=forger,
        cert_id=cert.cert_id,
        card_number=cert.card_number,
        device_key=cert.device_key,
        allowance=9_000_000,
        expires_at=cert.expires_at,
    )
    text = code_build(certificate=forged, device_key=phone.key, counter=9, made_at=timezone.now(), amount_cap=90_000)
    with pytest.raises(OfflineCodeInvalid, match="certificate is not ours"):
        offline_code_check(text=text, amount=50_000, at=timezone.now())


def test_code_signed_by_another_device_is_refused(make_member: Callable[..., Any], phone_for: Any) -> None:
    """Someone who copied the certificate but not the phone's private key."""
    phone: Phone = phone_for(make_member(balance=50_000))
    other = ec.generate_private_key(ec.SECP256R1())
    text = code_build(
        certificate=b64url_decode(phone.issued.text), device_key=other, counter=1, made_at=timezone.now(), amount_cap=1
    )
    with pytest.raises(OfflineCodeInvalid, match="not made by the member's phone"):
        offline_code_check(text=text, amount=1, at=timezone.now())


def test_a_changed_amount_cap_breaks_the_device_signature(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    data = bytearray(b64url_decode(phone.code(amount_cap=100)[4:]))
    data[170:174] = (30_000).to_bytes(4)
    with pytest.raises(OfflineCodeInvalid, match="not made by the member's phone"):
        offline_code_check(text="OF1." + b64url(bytes(data)), amount=30_000, at=timezone.now())


def test_expired_certificate_is_refused_after_the_clock_skew(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    expires = phone.issued.certificate.expires_at
    text = phone.code(made_at=expires)
    offline_code_check(text=text, amount=1, at=expires + timedelta(minutes=4))  # within the skew
    with pytest.raises(OfflineCodeInvalid, match="expired"):
        offline_code_check(text=text, amount=1, at=expires + timedelta(minutes=6))


def test_a_code_from_the_future_or_above_its_cap_is_refused(make_member: Callable[..., Any], phone_for: Any) -> None:
    phone: Phone = phone_for(make_member(balance=50_000))
    now = timezone.now()
    with pytest.raises(OfflineCodeInvalid, match="future"):
        offline_code_check(text=phone.code(made_at=now + timedelta(minutes=10)), amount=1, at=now)
    with pytest.raises(OfflineCodeInvalid, match="cannot pay that much"):
        offline_code_check(text=phone.code(amount_cap=5_000), amount=5_001, at=now)


@pytest.mark.parametrize("text", ["123456789012345678", "OF1.", "OF1.!!!!", "OF1." + "A" * 318])
def test_damaged_or_foreign_text_is_refused(text: str, programme_key: str) -> None:
    with pytest.raises(OfflineCodeInvalid):
        offline_code_check(text=text, amount=1, at=timezone.now())


def test_rotated_key_keeps_verifying_its_certificates(
    settings: Any, make_member: Callable[..., Any], phone_for: Any
) -> None:
    """After rotation the old public key still verifies the certificates it
    signed, and tills are given both keys until those certificates run out."""
    phone: Phone = phone_for(make_member(balance=50_000))
    old_kid = phone.issued.certificate.kid
    settings.CAFE_OFFLINE_KEY = key_generate()
    newer: Phone = phone_for(make_member(balance=50_000))
    assert newer.issued.certificate.kid != old_kid
    now = timezone.now()
    offline_code_check(text=phone.code(), amount=1, at=now)
    offline_code_check(text=newer.code(), amount=1, at=now)
    listed = programme_public_keys(now=now)
    assert [(k["kid"], k["current"]) for k in listed] == [(newer.issued.certificate.kid, True), (old_kid, False)]
    assert [k["kid"] for k in programme_public_keys(now=now + timedelta(days=9))] == [newer.issued.certificate.kid]
    jwk: Any = listed[0]["jwk"]
    assert len(base64.urlsafe_b64decode(jwk["x"] + "=")) == 32
