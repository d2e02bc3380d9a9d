"""The member's history as the portal tells it: one plain sentence per line
("Refund of your Latte at Da'an Roastery"), the details (items, the points
formula, the receipt) for a tap, money and points apart.

Built only from what the payment path already stores — transfer kinds, the
order behind a payment or refund, its lines and store, points entries'
references and explanations — so showing history writes nothing. The API's
`member_history` (payments.selectors.wallet) keeps its own fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Member, PointsEntry
from payments.models import Order, OrderLine, Payment, Tender, Transfer
from payments.selectors.wallet import wallet_for_member

ORDER_REFERENCE = re.compile(r"^order:(\d+)(?::|$)")
REFUND_KINDS = (PointsEntry.Kind.REVERSE, PointsEntry.Kind.RESTORE)


@dataclass(frozen=True)
class Item:
    quantity: int
    name: str
    total: int


@dataclass(frozen=True)
class Line:
    """One line of the portal's history: a sentence, a signed amount (minor
    units for money, points for points) and what a tap shows."""

    id: str
    kind: str  # "wallet" or "points"
    headline: str
    amount: int
    created_at: datetime
    store: str = ""
    items: list[Item] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # further plain lines: the points formula, a reason
    receipt_order_id: int | None = None


def _window(qs: QuerySet, since: datetime | None, until: datetime | None) -> QuerySet:
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs


def _orders(order_ids: Iterable[int]) -> dict[int, Order]:
    """The orders with their store and lines, in two queries whatever their number."""
    ids = set(order_ids)
    if not ids:
        return {}
    orders = {order.pk: order for order in Order.objects.filter(pk__in=ids).select_related("store")}
    lines: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.filter(order_id__in=ids).select_related("product").order_by("pk"):
        lines.setdefault(line.order_id, []).append(line)
    for pk, order in orders.items():
        order.portal_lines = lines.get(pk, [])  # type: ignore[attr-defined]
    return orders


def _items(order: Order | None) -> list[Item]:
    if order is None:
        return []
    return [
        Item(quantity=line.quantity, name=str(line.product.name), total=line.line_total)
        for line in getattr(order, "portal_lines", [])
    ]


def _refunded(order: Order | None, amount: int | None = None) -> tuple[list[Item], bool]:
    """What a refund of `order` gave back, as far as the stored order tells:
    (items, whole). After one refund by items, the lines' refunded quantities
    are exactly that refund; a refund of the whole total is every item. Past
    that (several refunds, or an amount over the API) the order's items with
    whole=False: the sentence then says it was part of the order."""
    if order is None:
        return [], True
    lines = getattr(order, "portal_lines", [])
    if order.refund_steps <= 1 and any(line.refunded_quantity for line in lines):
        items = [
            Item(
                quantity=line.refunded_quantity,
                name=str(line.product.name),
                total=line.unit_price * line.refunded_quantity,
            )
            for line in lines
            if line.refunded_quantity
        ]
        return items, True
    everything = amount is not None and amount >= order.total or order.refunded_amount >= order.total
    return _items(order), order.refund_steps <= 1 and everything


def payment_items(*, payment: Payment) -> list[Item]:
    """What a wallet payment pays for (its order's lines), for the member
    approving it; none for a payment whose order has no lines (an API sale)."""
    tender = Tender.objects.filter(payment=payment).only("order_id").first()
    return _items(_orders([tender.order_id]).get(tender.order_id)) if tender is not None else []


def what_was_bought(items: list[Item]) -> str:
    """'Latte', '2 × Latte', 'Latte and Croissant', 'Latte and 2 more'."""
    names = [item.name if item.quantity == 1 else f"{item.quantity} × {item.name}" for item in items]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return _("%(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    rest = len(names) - 1
    return ngettext("%(first)s and %(count)s more", "%(first)s and %(count)s more", rest) % {
        "first": names[0],
        "count": rest,
    }


def _your_order(order: Order | None) -> tuple[str, str]:
    """(what, where) of an order, for the sentences below."""
    if order is None:
        return "", ""
    return what_was_bought(_items(order)), str(order.store.name) if order.store_id else ""


def _sentence(*, bought: str, store: str, with_both: str, with_bought: str, with_store: str, bare: str) -> str:
    """The one sentence that fits what is known about the order."""
    if bought and store:
        return with_both % {"items": bought, "store": store}
    if bought:
        return with_bought % {"items": bought}
    if store:
        return with_store % {"store": store}
    return bare


# --- Money --------------------------------------------------------------------------


def portal_money_history(
    *, member: Member, offset: int, limit: int, since: datetime | None = None, until: datetime | None = None
) -> list[Line]:
    """The wallet's movements, newest first, each told as a sentence."""
    wallet = wallet_for_member(member=member)
    if wallet is None:
        return []
    qs = Transfer.objects.filter(Q(debit_account=wallet) | Q(credit_account=wallet)).select_related(
        "payment__store",
        "payment__tender",
        "top_up__store",
        "refund__order_refund",
        "refund__payment__tender",
        "cash_out__store",
    )
    transfers = list(_window(qs, since, until).order_by("-created_at", "-pk")[offset : offset + limit])
    orders = _orders(filter(None, (_transfer_order_id(transfer) for transfer in transfers)))
    lines = []
    for transfer in transfers:
        signed = transfer.amount if transfer.credit_account_id == wallet.pk else -transfer.amount
        order_id = _transfer_order_id(transfer)
        order = orders.get(order_id) if order_id else None
        headline, store, details = _money_words(transfer, order)
        lines.append(
            Line(
                id=f"w{transfer.pk}",
                kind="wallet",
                headline=headline,
                amount=signed,
                created_at=transfer.created_at,
                store=store,
                items=_refunded(order, transfer.amount)[0] if transfer.kind == Transfer.Kind.REFUND else _items(order),
                details=details,
                receipt_order_id=order.pk if order is not None else None,
            )
        )
    return lines


def _transfer_order_id(transfer: Transfer) -> int | None:
    if transfer.refund is not None and transfer.refund.order_refund is not None:
        return transfer.refund.order_refund.order_id
    payment = transfer.payment or (transfer.refund.payment if transfer.refund is not None else None)
    tender = getattr(payment, "tender", None) if payment is not None else None
    return tender.order_id if tender is not None else None


def _money_words(transfer: Transfer, order: Order | None) -> tuple[str, str, list[str]]:
    """(headline, store, detail lines) for one wallet movement."""
    kinds = Transfer.Kind
    bought, store = _your_order(order)
    if not store and transfer.payment is not None and transfer.payment.store is not None:
        store = str(transfer.payment.store.name)
    details: list[str] = []
    if transfer.kind == kinds.PAYMENT:
        headline = _sentence(
            bought=bought,
            store=store,
            with_both=_("Your %(items)s at %(store)s"),
            with_bought=_("Your %(items)s"),
            with_store=_("Payment at %(store)s"),
            bare=_("Payment"),
        )
    elif transfer.kind == kinds.REFUND:
        refunded, whole = _refunded(order, transfer.amount)
        headline = _sentence(
            bought=what_was_bought(refunded),
            store=store,
            with_both=_("Refund of your %(items)s at %(store)s")
            if whole
            else _("Part of your %(items)s at %(store)s refunded"),
            with_bought=_("Refund of your %(items)s") if whole else _("Part of your %(items)s refunded"),
            with_store=_("Refund from %(store)s"),
            bare=_("Refund"),
        )
        if transfer.refund is not None and transfer.refund.reason:
            details.append(_("Reason: %(reason)s") % {"reason": transfer.refund.reason})
    elif transfer.kind in (kinds.TOP_UP, kinds.TOP_UP_BONUS):
        top_up = transfer.top_up
        store = str(top_up.store.name) if top_up is not None and top_up.store is not None else ""
        online = top_up is not None and top_up.tender == "online"
        if transfer.kind == kinds.TOP_UP_BONUS:
            headline = _("Bonus for your top-up")
        elif online:
            headline = _("Top-up online")
        elif store:
            headline = _("Top-up at %(store)s") % {"store": store}
        else:
            headline = _("Top-up")
        if top_up is not None and transfer.kind == kinds.TOP_UP:
            details.append(_("Paid by %(how)s") % {"how": top_up.get_tender_display()})
    elif transfer.kind == kinds.CASH_OUT:
        store = str(transfer.cash_out.store.name) if transfer.cash_out is not None else ""
        headline = (
            _("Paid back to you in cash at %(store)s") % {"store": store} if store else _("Paid back to you in cash")
        )
    elif transfer.kind == kinds.ADJUSTMENT:
        headline = _("Correction by the cafe")
    elif transfer.kind == kinds.EXPIRY:
        headline = _("Wallet balance expired")
    else:
        headline = str(transfer.get_kind_display())
    return headline, store, details


# --- Points -------------------------------------------------------------------------


def portal_points_history(
    *, member: Member, offset: int, limit: int, since: datetime | None = None, until: datetime | None = None
) -> list[Line]:
    """The points' movements, newest first, each told as a sentence; the
    formula that gave them (the entry's explanation) goes in the details."""
    qs = _window(PointsEntry.objects.filter(member=member), since, until)
    entries = list(qs.order_by("-created_at", "-pk")[offset : offset + limit])
    order_ids = [int(found.group(1)) for entry in entries if (found := ORDER_REFERENCE.match(entry.reference))]
    orders = _orders(order_ids)
    lines = []
    for entry in entries:
        found = ORDER_REFERENCE.match(entry.reference)
        order = orders.get(int(found.group(1))) if found else None
        headline, details = _points_words(entry, order)
        lines.append(
            Line(
                id=f"p{entry.pk}",
                kind="points",
                headline=headline,
                amount=entry.points,
                created_at=entry.created_at,
                store=_your_order(order)[1],
                items=_refunded(order)[0] if entry.kind in REFUND_KINDS else _items(order),
                details=details,
                receipt_order_id=order.pk if order is not None else None,
            )
        )
    return lines


def _points_words(entry: PointsEntry, order: Order | None) -> tuple[str, list[str]]:
    kinds = PointsEntry.Kind
    bought, store = _your_order(order)
    # Earn explanations are the formula, line by line ("NT$150 × 1 pt per
    # NT$10 = 15"); refund ones name a raw reference: never a headline, and
    # refund references are not shown at all.
    formula = [] if entry.kind in REFUND_KINDS else entry.explanation.splitlines()
    if entry.kind == kinds.EARN:
        if order is not None:
            headline = _sentence(
                bought=bought,
                store=store,
                with_both=_("Points for your %(items)s at %(store)s"),
                with_bought=_("Points for your %(items)s"),
                with_store=_("Points for your visit to %(store)s"),
                bare=_("Points earned"),
            )
        elif entry.reference.startswith("referral:"):
            headline, formula = _("Points for bringing a friend"), []
        elif entry.reference.startswith("birthday:"):
            headline, formula = _("Birthday points"), []
        else:
            headline = _("Points earned")
    elif entry.kind == kinds.SPEND:
        if entry.source.startswith("Reward: "):
            headline = _("Points for a reward: %(reward)s") % {"reward": entry.source.removeprefix("Reward: ")}
        elif order is not None:
            headline = _sentence(
                bought=bought,
                store=store,
                with_both=_("Points paid for your %(items)s at %(store)s"),
                with_bought=_("Points paid for your %(items)s"),
                with_store=_("Points paid at %(store)s"),
                bare=_("Points spent"),
            )
        else:
            headline = _("Points spent")
        formula = []
    elif entry.kind == kinds.EXPIRE:
        headline, formula = _("Points expired"), []
    elif entry.kind == kinds.ADJUST:
        headline = _("Correction by the cafe")
        formula = [_("Reason: %(reason)s") % {"reason": entry.explanation}] if entry.explanation else []
    elif entry.kind == kinds.REVERSE:
        headline = _sentence(
            bought=what_was_bought(_refunded(order)[0]),
            store=store,
            with_both=_("Points taken back: refund at %(store)s (%(items)s)"),
            with_bought=_("Points taken back: refund (%(items)s)"),
            with_store=_("Points taken back: refund at %(store)s"),
            bare=_("Points taken back for a refund"),
        )
    elif entry.kind == kinds.RESTORE:
        headline = _sentence(
            bought=what_was_bought(_refunded(order)[0]),
            store=store,
            with_both=_("Points given back: refund at %(store)s (%(items)s)"),
            with_bought=_("Points given back: refund (%(items)s)"),
            with_store=_("Points given back: refund at %(store)s"),
            bare=_("Points given back for a refund"),
        )
    else:
        headline = str(entry.get_kind_display())
    return headline, formula
