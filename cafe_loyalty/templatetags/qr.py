from django import template
from django.utils.safestring import SafeString

from payments.qr import qr_svg

register = template.Library()


@register.filter(name="qr")
def qr(value: str, box_size: int = 6) -> SafeString:
    """{{ coupon.code|qr }} -> an inline SVG QR code the till's scanner reads."""
    return qr_svg(str(value), box_size=box_size)
