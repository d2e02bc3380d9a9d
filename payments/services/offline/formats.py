"""The offline certificate and the offline payment code, byte by byte.

All integers are unsigned big-endian; signatures are ECDSA P-256 over SHA-256
in IEEE P1363 form (r || s, 64 bytes), as WebCrypto's sign() gives them.

Certificate (162 bytes), signed by the programme's key:

    offset size  field
    0      1     version, 1
    1      8     kid: the programme key's id (SHA-256 of its SPKI DER, first 8 bytes)
    9      4     certificate id
    13     12    member card number, 12 ASCII digits
    25     65    device public key, uncompressed P-256 point (0x04 || x || y):
                 WebCrypto exportKey("raw", publicKey)
    90     4     allowance, minor units
    94     4     expiry, Unix seconds
    98     64    programme signature over bytes 0..97

Offline code (238 bytes), signed by the phone's device key:

    0      162   the certificate, as above, unchanged
    162    4     counter: 1, 2, 3… per code the phone makes (never reused)
    166    4     time the code was made, Unix seconds (the phone's clock)
    170    4     amount cap, minor units: the most this code may pay
    174    64    device signature over bytes 0..173

Text form: "OF1." + base64url of the 238 bytes, without padding: 322
characters of [A-Za-z0-9_-], one line, fits a QR code (version 12, level L
in byte mode) and a keyboard-wedge scanner types it like any code.

The till (offline) and the server (online till and sync) check the same way
(`offline_code_check`): the programme signature with the key named by kid,
the device signature with the key in the certificate, the certificate not
expired and the code not made in the future (both allowing CLOCK_SKEW), the
amount at most the code's cap and the certificate's allowance. Whether the
counter was seen and what is left of the allowance is the ledger's business
at payment (payments.services.offline.pay)."""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.translation import gettext as _

from cafe_loyalty.core.problems import Problem
from payments.services.offline.keys import b64url, b64url_decode, programme_public_key, sign_p1363, verify_p1363

VERSION = 1
PREFIX = "OF1."
CLOCK_SKEW = timedelta(minutes=5)
_CERT_BODY = struct.Struct(">B8sI12s65sII")  # 98 bytes
_CODE_TAIL = struct.Struct(">III")  # 12 bytes
CERTIFICATE_SIZE = _CERT_BODY.size + 64
CODE_SIZE = CERTIFICATE_SIZE + _CODE_TAIL.size + 64


class OfflineCodeInvalid(Problem):
    status, code, title = 422, "offline_code_invalid", "Offline payment code not valid"


@dataclass(frozen=True)
class Certificate:
    kid: str
    cert_id: int
    card_number: str
    device_key: bytes  # the 65-byte uncompressed point
    allowance: int
    expires_at: datetime
    raw: bytes  # the 162 bytes, signature included


@dataclass(frozen=True)
class OfflineCode:
    certificate: Certificate
    counter: int
    made_at: datetime
    amount_cap: int


def _unix(value: datetime) -> int:
    return int(value.timestamp())


def _from_unix(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def certificate_build(
    *,
    kid: str,
    key: ec.EllipticCurvePrivateKey,
    cert_id: int,
    card_number: str,
    device_key: bytes,
    allowance: int,
    expires_at: datetime,
) -> bytes:
    """The 162 signed bytes of a certificate."""
    body = _CERT_BODY.pack(
        VERSION, bytes.fromhex(kid), cert_id, card_number.encode("ascii"), device_key, allowance, _unix(expires_at)
    )
    return body + sign_p1363(key, body)


def code_build(
    *, certificate: bytes, device_key: ec.EllipticCurvePrivateKey, counter: int, made_at: datetime, amount_cap: int
) -> str:
    """An offline code's text, as the phone makes it (for tests and tools)."""
    signed = certificate + _CODE_TAIL.pack(counter, _unix(made_at), amount_cap)
    return PREFIX + b64url(signed + sign_p1363(device_key, signed))


def _parse(text: str) -> tuple[OfflineCode, bytes, bytes, bytes]:
    """(code, the certificate's signed body, the code's signed bytes, device signature)."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise OfflineCodeInvalid(_("This is not an offline payment code."))
    try:
        data = b64url_decode(text[len(PREFIX) :])
    except (binascii.Error, ValueError):
        raise OfflineCodeInvalid(_("This offline payment code is damaged; scan it again.")) from None
    if len(data) != CODE_SIZE or data[0] != VERSION:
        raise OfflineCodeInvalid(_("This offline payment code is damaged; scan it again."))
    version, kid, cert_id, card, device, allowance, expires = _CERT_BODY.unpack_from(data)
    counter, made, cap = _CODE_TAIL.unpack_from(data, CERTIFICATE_SIZE)
    certificate = Certificate(
        kid=kid.hex(),
        cert_id=cert_id,
        card_number=card.decode("ascii", errors="replace"),
        device_key=device,
        allowance=allowance,
        expires_at=_from_unix(expires),
        raw=data[:CERTIFICATE_SIZE],
    )
    code = OfflineCode(certificate=certificate, counter=counter, made_at=_from_unix(made), amount_cap=cap)
    return code, data[: _CERT_BODY.size], data[: CODE_SIZE - 64], data[CODE_SIZE - 64 :]


def offline_code_check(*, text: str, amount: int, at: datetime) -> OfflineCode:
    """The code, if both signatures hold, it is not expired at `at` (the time
    the sale was rung up) and may pay `amount`; else OfflineCodeInvalid."""
    code, cert_body, signed, device_signature = _parse(text)
    cert = code.certificate
    programme = programme_public_key(cert.kid)
    if programme is None or not verify_p1363(programme, cert.raw[_CERT_BODY.size :], cert_body):
        raise OfflineCodeInvalid(_("This offline code's certificate is not ours."))
    try:
        device = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), cert.device_key)
    except ValueError:
        raise OfflineCodeInvalid(_("This offline code's certificate is not ours.")) from None
    if not verify_p1363(device, device_signature, signed):
        raise OfflineCodeInvalid(_("This offline code was not made by the member's phone."))
    if at > cert.expires_at + CLOCK_SKEW:
        raise OfflineCodeInvalid(_("Paying offline has expired on this phone; it must go online once."))
    if code.made_at > at + CLOCK_SKEW:
        raise OfflineCodeInvalid(_("This offline code is from the future; check the phone's clock."))
    if amount <= 0 or amount > code.amount_cap or amount > cert.allowance:
        raise OfflineCodeInvalid(_("This offline code cannot pay that much."))
    return code
