"""The programme's offline signing key (P-256 ECDSA) and its public keys.

The private key is PEM, from `CAFE_OFFLINE_KEY` or the file named by
`CAFE_OFFLINE_KEY_FILE` (`manage.py offline_key create` makes one); it is
never stored in the database or the repository. Each public key is recorded
in `OfflineProgrammeKey` (key id = the first 8 bytes of SHA-256 of its SPKI
DER, as 16 hex digits) the first time it signs. Rotation: put the new key in
place and restart; the first certificate signed with it retires the older
keys, which still verify the certificates they signed (and tills keep them
in the public key list) until those certificates and their sync grace have
run out. A table, not a settings list, so rotating is one step and nobody
has to copy old public keys into the environment.

Signatures are IEEE P1363 (r || s, 32 bytes each), what WebCrypto produces
and verifies; `cryptography` speaks DER, converted here."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.problems import Problem
from payments.models import OfflineProgrammeKey

# How long a certificate lets a phone pay offline, and how long after that a
# till that was offline may still sync its sales against the hold.
CERTIFICATE_LIFETIME = timedelta(days=7)
SYNC_GRACE = timedelta(days=1)


class OfflineUnavailable(Problem):
    status, code, title = 503, "offline_unavailable", "Offline payments are not set up"


def key_generate() -> str:
    """A new programme private key, as unencrypted PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


def spki_der(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def kid_for(public_key: ec.EllipticCurvePublicKey) -> str:
    """The key id: 8 bytes of SHA-256 over the SPKI DER, in hex."""
    return hashlib.sha256(spki_der(public_key)).digest()[:8].hex()


def _configured_pem() -> str:
    if settings.CAFE_OFFLINE_KEY:
        return str(settings.CAFE_OFFLINE_KEY)
    if settings.CAFE_OFFLINE_KEY_FILE:
        try:
            return Path(settings.CAFE_OFFLINE_KEY_FILE).read_text()
        except OSError as exc:
            raise OfflineUnavailable(_("The offline signing key file cannot be read.")) from exc
    raise OfflineUnavailable(_("Paying offline is not available yet."))


@lru_cache(maxsize=4)
def _load(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise OfflineUnavailable(_("The offline signing key must be a P-256 key."))
    return key


def offline_available() -> bool:
    return bool(settings.CAFE_OFFLINE_KEY or settings.CAFE_OFFLINE_KEY_FILE)


def programme_signing_key() -> tuple[str, ec.EllipticCurvePrivateKey]:
    """(kid, private key) to sign with now; its public key recorded (and the
    older ones retired) the first time."""
    key = _load(_configured_pem())
    kid = kid_for(key.public_key())
    if not OfflineProgrammeKey.objects.filter(kid=kid).exists():
        now = timezone.now()
        try:
            with transaction.atomic():
                OfflineProgrammeKey.objects.filter(retired_at__isnull=True).update(retired_at=now)
                public = base64.b64encode(spki_der(key.public_key())).decode()
                OfflineProgrammeKey.objects.create(kid=kid, public_key=public, created_at=now)
        except IntegrityError:
            pass  # recorded by a concurrent request
    return kid, key


_public_keys: dict[str, ec.EllipticCurvePublicKey] = {}


def programme_public_key(kid: str) -> ec.EllipticCurvePublicKey | None:
    """A recorded public key by id (a kid names one key forever: remembered)."""
    if kid in _public_keys:
        return _public_keys[kid]
    row = OfflineProgrammeKey.objects.filter(kid=kid).first()
    if row is None:
        return None
    key = serialization.load_der_public_key(base64.b64decode(row.public_key))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    _public_keys[kid] = key
    return key


def programme_public_keys(*, now: datetime) -> list[dict[str, object]]:
    """The keys a till must know: the current one and those retired too
    recently for their certificates to have run out. SPKI base64 and JWK,
    for WebCrypto's importKey("spki" | "jwk", …, {name: "ECDSA", namedCurve: "P-256"})."""
    oldest = now - CERTIFICATE_LIFETIME - SYNC_GRACE
    rows = OfflineProgrammeKey.objects.exclude(retired_at__lt=oldest).order_by("-created_at")
    answer = []
    for row in rows:
        key = programme_public_key(row.kid)
        assert key is not None
        numbers = key.public_numbers()
        answer.append(
            {
                "kid": row.kid,
                "spki": row.public_key,
                "jwk": {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": b64url(numbers.x.to_bytes(32)),
                    "y": b64url(numbers.y.to_bytes(32)),
                },
                "current": row.retired_at is None,
            }
        )
    return answer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_p1363(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32) + s.to_bytes(32)


def verify_p1363(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    if len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
