"""Money is an integer count of the currency's minor unit; this module is the one
place that turns it into text for people and parses what people type.

TWD's ISO 4217 minor unit is the cent (exponent 2), but cafes price in whole
dollars, so whole amounts are shown without decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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


def parse_money(text: str) -> int:
    """Parse '120', '120.5' or '1,200.00' into minor units; ValueError when not money."""
    cleaned = text.strip().replace(",", "").replace(currency().symbol, "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    minor = value.scaleb(currency().exponent)
    if minor != minor.to_integral_value() or not value.is_finite():
        raise ValueError(f"too many decimals: {text!r}")
    return int(minor)


def major_units(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-currency().exponent)


def cash_unit() -> int:
    """The smallest amount of cash people hand over, in minor units
    (`CAFE_CASH_ROUNDING`; by default one major unit: NT$1 is 100)."""
    return settings.CAFE_CASH_ROUNDING or 10 ** currency().exponent


def round_down_to_cash(amount: int) -> int:
    """`amount` rounded down to whole units of cash (never negative)."""
    unit = cash_unit()
    return max(amount, 0) // unit * unit
