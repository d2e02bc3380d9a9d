"""`manage.py offline_key create [--out FILE]`: a new programme signing key
for offline payments (P-256), as PEM, to stdout or a new file (mode 0600).
Put it in CAFE_OFFLINE_KEY or point CAFE_OFFLINE_KEY_FILE at the file; never
commit it. Rotating: create a new one, put it in place, restart; the old
public key keeps verifying its certificates until they expire.
`manage.py offline_key show`: the configured key's id and public key."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.services.offline.keys import OfflineUnavailable, key_generate, kid_for, programme_signing_key, spki_der


class Command(BaseCommand):
    help = "Create or show the programme's offline signing key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "show"])
        parser.add_argument("--out", help="write the new key to this file (must not exist) instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            try:
                kid, key = programme_signing_key()
            except OfflineUnavailable as exc:
                raise CommandError(str(exc.detail)) from None
            self.stdout.write(f"kid {kid}")
            self.stdout.write(f"spki {base64.b64encode(spki_der(key.public_key())).decode()}")
            return
        pem = key_generate()
        loaded = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        kid = kid_for(loaded.public_key())
        if options["out"]:
            path = Path(options["out"])
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise CommandError(f"{path} exists; choose a new file (the old key is still needed).") from None
            with os.fdopen(fd, "w") as handle:
                handle.write(pem)
            self.stdout.write(f"Wrote the new key (kid {kid}) to {path}; set CAFE_OFFLINE_KEY_FILE={path}.")
            return
        self.stderr.write(f"New key, kid {kid}: put it in CAFE_OFFLINE_KEY (never in the repository).")
        self.stdout.write(pem.rstrip())
