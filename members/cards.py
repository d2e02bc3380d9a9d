"""Card numbers: 12 digits, the last a Luhn check digit so a mistyped number at
the till is caught before any lookup. Twelve digits also keep card numbers
apart from the 18-digit payment codes a scanner may read."""

from __future__ import annotations

import secrets

CARD_PREFIX = "8"
CARD_LENGTH = 12


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    return len(number) == CARD_LENGTH and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def generate_card_number() -> str:
    body = CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(CARD_LENGTH - 2))
    return body + luhn_check_digit(body)
