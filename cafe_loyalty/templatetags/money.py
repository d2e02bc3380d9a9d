from django import template

from cafe_loyalty.core.money import format_money

register = template.Library()


@register.filter(name="money")
def money(amount: int | None) -> str:
    """{{ wallet.balance|money }} -> 'NT$1,200'."""
    return format_money(amount)


@register.filter(name="signed_money")
def signed_money(amount: int | None) -> str:
    return format_money(amount, signed=True)
