"""Masking of personal data wherever it is shown to someone other than its owner
(admin lists, the till, the terminal API)."""

from __future__ import annotations


def mask_email(email: str) -> str:
    if "@" not in email:
        return mask_text(email)
    local, domain = email.split("@", 1)
    shown = local[:1] if len(local) <= 3 else local[:2]
    return f"{shown}{'*' * max(3, len(local) - len(shown))}@{domain}"


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < 4:
        return "*" * len(phone)
    return "*" * (len(digits) - 3) + "".join(digits[-3:])


def mask_text(text: str) -> str:
    if len(text) <= 1:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 1)
