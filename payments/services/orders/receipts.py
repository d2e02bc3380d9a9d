"""The member's receipt for a paid order: the body of the inbox notice (shown
in the reader's language, product names included) and, as written in the
member's language, of the email when the member agreed to activity emails."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_noop

from members.notices import (
    NoticeValue,
    notice_data,
    notice_datetime,
    notice_join,
    notice_lower,
    notice_money,
    notice_number,
    notice_text,
)
from payments.models import Order, Tender


def receipt_notice(
    order: Order, *, tenders: list[Tender], paid_at: datetime, wallet_balance: int | None = None
) -> NoticeValue:
    """Items, discounts, tenders, points earned and balances. `order.member` is
    the instance the points were just earned on; `tenders` are the settled ones."""
    assert order.member is not None
    number = notice_text(gettext_noop("Order #%(order)s"), order=order.pk)
    rows: list[object] = [notice_join(order.store.name, number, notice_datetime(paid_at, "Y-m-d H:i"), sep=" · "), ""]
    for line in order.lines.all():
        extras = f" ({line.modifiers_label})" if line.modifiers_label else ""
        name = notice_data(line.product, "name")
        rows.append(notice_join(line.quantity, " × ", name, extras, "  ", notice_money(line.line_total)))
    for coupon in order.coupons.all():
        rows.append(notice_join(coupon.description, "  −", notice_money(coupon.discount)))
    rows.append(notice_text(gettext_noop("Total %(amount)s"), amount=notice_money(order.total)))
    for tender in tenders:
        rows.append(
            notice_text(
                gettext_noop("Paid by %(tender)s %(amount)s"),
                tender=notice_lower(Tender.Kind(tender.kind).label),
                amount=notice_money(tender.amount),
            )
        )
    if wallet_balance is not None:
        rows.append(notice_text(gettext_noop("Wallet balance %(balance)s"), balance=notice_money(wallet_balance)))
    rows.append("")
    rows.append(
        notice_text(
            gettext_noop("Points earned %(points)s · points balance %(balance)s"),
            points=notice_number(order.points_earned),
            balance=notice_number(order.member.points_balance),
        )
    )
    # The receipt is the purchase's one notice: it asks for the rating too
    # (the receipt page has the button).
    rows.append(
        notice_join(
            notice_text(gettext_noop("How was your order?")),
            notice_text(gettext_noop("Tap to rate it (1–5).")),
            sep=" ",
        )
    )
    return notice_join(*rows, sep="\n")
