from django import template

from cafe_loyalty.core.money import format_money, major_units

register = template.Library()


@register.filter(name="money")
def money(amount: int | None) -> str:
    """{{ wallet.balance|money }} -> 'NT$1,200'."""
    return format_money(amount)


@register.filter(name="signed_money")
def signed_money(amount: int | None) -> str:
    return format_money(amount, signed=True)


@register.filter(name="money_input")
def money_input(amount: int | None) -> str:
    """Minor units as a form value the till parses back (95000 -> '950.00')."""
    return "" if amount is None else str(major_units(amount))
