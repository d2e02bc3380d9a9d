"""The member's receipt for a paid order, as plain text: the body of the inbox
notice, and of the email when the member agreed to activity emails."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from members.notices import member_language
from payments.models import Order, Tender


def receipt_text(order: Order, *, tenders: list[Tender], paid_at: datetime, wallet_balance: int | None = None) -> str:
    """Items, discounts, tenders, points earned and balances, in the member's
    language. `order.member` is the instance the points were just earned on;
    `tenders` are the settled ones."""
    assert order.member is not None
    with translation.override(member_language(order.member)):
        number = _("Order #%(order)s") % {"order": order.pk}
        rows = [f"{order.store.name} · {number} · {timezone.localtime(paid_at):%Y-%m-%d %H:%M}", ""]
        for line in order.lines.all():
            extras = f" ({line.modifiers_label})" if line.modifiers_label else ""
            rows.append(f"{line.quantity} × {line.product.name}{extras}  {format_money(line.line_total)}")
        for coupon in order.coupons.all():
            rows.append(f"{coupon.description}  −{format_money(coupon.discount)}")
        rows.append(_("Total %(amount)s") % {"amount": format_money(order.total)})
        for tender in tenders:
            rows.append(
                _("Paid by %(tender)s %(amount)s")
                % {"tender": tender.get_kind_display().lower(), "amount": format_money(tender.amount)}
            )
        if wallet_balance is not None:
            rows.append(_("Wallet balance %(balance)s") % {"balance": format_money(wallet_balance)})
        rows.append("")
        rows.append(
            _("Points earned %(points)s · points balance %(balance)s")
            % {"points": order.points_earned, "balance": order.member.points_balance}
        )
        # The receipt is the purchase's one notice: it asks for the rating too
        # (the receipt page has the button).
        rows.append(_("How was your order?") + " " + _("Tap to rate it (1–5)."))
        return "\n".join(rows)
