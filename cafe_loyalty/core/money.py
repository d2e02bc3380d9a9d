"""Money is an integer count of the currency's minor unit; this module is the one
place that turns it into text for people and parses what people type.

TWD's ISO 4217 minor unit is the cent (exponent 2), but cafes price in whole
dollars, so whole amounts are shown without decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str
    exponent: int


CURRENCIES = {
    "TWD": Currency("TWD", "NT$", 2),
    "USD": Currency("USD", "$", 2),
    "EUR": Currency("EUR", "€", 2),
    "GBP": Currency("GBP", "£", 2),
    "HKD": Currency("HKD", "HK$", 2),
    "CNY": Currency("CNY", "¥", 2),
    "JPY": Currency("JPY", "¥", 0),
}


def currency() -> Currency:
    code = settings.CAFE_CURRENCY
    return CURRENCIES.get(code, Currency(code, code + " ", 2))


def format_money(amount: int | None, *, signed: bool = False) -> str:
    """Format minor units for people, with the active locale's grouping."""
    if amount is None:
        return ""
    cur = currency()
    negative = amount < 0
    units, minor = divmod(abs(int(amount)), 10**cur.exponent)
    if minor or cur.exponent == 0:
        value = Decimal(abs(int(amount))).scaleb(-cur.exponent)
        text = number_format(value, decimal_pos=cur.exponent, use_l10n=True, force_grouping=True)
    else:
        text = number_format(units, use_l10n=True, force_grouping=True)
    sign = "-" if negative else ("+" if signed and amount > 0 else "")
    return f"{sign}{cur.symbol}{text}"


# The most digits a person may type before the decimal point: NT$999,999,999,999
# is far above any cafe amount and keeps minor units well inside a BigIntegerField.
MAX_WHOLE_DIGITS = 12


def parse_money(text: str) -> int:
    """Parse what a person typed ('120', '120.5', '1,200.00', 'NT$120') into
    minor units; ValueError when it is not a plain non-negative amount.

    Refused: signs, exponents ('1e3'), NaN and Infinity, spaces inside the
    number, commas other than between groups of three, more decimals than the
    currency has, and more than MAX_WHOLE_DIGITS whole digits. A field that
    legitimately takes a negative amount parses the sign itself."""
    cur = currency()
    cleaned = text.strip()
    if cleaned.startswith(cur.symbol):
        cleaned = cleaned[len(cur.symbol) :].lstrip()
    fraction_part = rf"(?:\.[0-9]{{1,{cur.exponent}}})?" if cur.exponent else ""
    if not re.fullmatch(rf"(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+){fraction_part}", cleaned):
        raise ValueError(f"not an amount: {text!r}")
    whole, _, fraction = cleaned.replace(",", "").partition(".")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise ValueError(f"too large: {text!r}")
    return int(whole) * 10**cur.exponent + int(fraction.ljust(cur.exponent, "0") or "0")


def major_units(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-currency().exponent)


def amount_for_input(amount: int | None) -> str:
    """Minor units as a person would type them into an amount box ('300',
    '1,000', '120.50'): never an exponent ('3E+2', what Decimal.normalize gives),
    grouped with the commas and point parse_money reads back in every language."""
    if amount is None:
        return ""
    exponent = currency().exponent
    units, minor = divmod(int(amount), 10**exponent) if exponent else (int(amount), 0)
    whole = f"{units:,}"
    return f"{whole}.{minor:0{exponent}d}" if minor else whole


def cash_unit() -> int:
    """The smallest amount of cash people hand over, in minor units
    (`CAFE_CASH_ROUNDING`; by default one major unit: NT$1 is 100)."""
    return settings.CAFE_CASH_ROUNDING or 10 ** currency().exponent


def round_down_to_cash(amount: int) -> int:
    """`amount` rounded down to whole units of cash (never negative)."""
    unit = cash_unit()
    return max(amount, 0) // unit * unit
