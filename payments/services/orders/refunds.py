"""Refunding a paid order — whole, some items, or an amount over the API — back
to its tenders, with its loyalty reversed once.

Refunds go back to the tenders in one stated order: stored value first (the
wallet, then points), then card, then cash last; an API refund of a payment
goes to that payment's wallet tender. Each part is whole: no tender is split
in proportion, so nobody is handed a fraction of the currency's cash, and
the till says how much cash to hand back. Item refunds are their share of
the paid total rounded down to whole cash units; refunding "the rest" gives
back whatever is left, so the order always ends fully refunded to the unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cafe_loyalty.core.money import format_money, round_down_to_cash
from campaigns.loyalty import loyalty_on_refund
from members.notices import notice_join, notice_money, notice_send, notice_text, notices_batched
from payments.exceptions import PaymentNotRefundable, RefundExceedsPayment, RefundRequiresApproval
from payments.models import (
    IdempotencyRecord,
    Order,
    OrderLine,
    OrderRefund,
    OrderRefundPart,
    Payment,
    ProgrammeSettings,
    Refund,
    RiskAlert,
    Tender,
    Terminal,
)
from payments.selectors.orders import staff_refunds_today
from payments.selectors.shifts import shift_current
from payments.services.approvals import approval_check
from payments.services.claims import claim_take
from payments.services.offline.refunds import offline_tender_refund_locked
from payments.services.orders.errors import TillError
from payments.services.risk import risk_alert_raise
from payments.services.wallet_payments import wallet_refund_payment

# Which tender gets money back first (lowest first).
REFUND_ORDER: dict[str, int] = {
    Tender.Kind.WALLET: 0,
    Tender.Kind.OFFLINE_WALLET: 0,
    Tender.Kind.POINTS: 1,
    Tender.Kind.CARD: 2,
    Tender.Kind.CASH: 3,
}


def refund_needs_approval(*, refunded_before: int, amount: int) -> bool:
    """The one rule: a refund needs a shift manager's or manager's approval
    when the order's refunds, this one included, pass the programme's
    threshold — so splitting a refund in small parts never avoids it."""
    return refunded_before + amount > ProgrammeSettings.current().refund_approval_threshold


def _items_to_refund(order: Order, quantities: dict[int, int]) -> list[tuple[OrderLine, int]]:
    """(line, how many) for the requested items; refuses more than a line has left."""
    chosen = []
    for line in order.lines.filter(pk__in=list(quantities)).select_related("product"):
        count = quantities[line.pk]
        if count <= 0:
            continue
        if count > line.refundable_quantity:
            raise TillError(
                _("Only %(count)s of %(product)s left to refund on this order.")
                % {"count": line.refundable_quantity, "product": line.product.name}
            )
        chosen.append((line, count))
    return chosen


def order_refund_amount(*, order: Order, quantities: dict[int, int] | None) -> int:
    """What refunding these items (line id → how many) gives back: their share
    of the paid total (discounts spread in proportion), rounded down to whole
    cash units; all that is left for None, which settles any rounding."""
    left = order.total - order.refunded_amount
    if quantities is None:
        return left
    share = sum(line.unit_price * count for line, count in _items_to_refund(order, quantities))
    if not order.subtotal:
        return 0
    return min(left, round_down_to_cash(share * order.total // order.subtotal))


@dataclass
class OrderRefundResult:
    refund: OrderRefund
    back_by_kind: dict[str, int] = field(default_factory=dict)  # tender kind → amount given back
    wallet_refund: Refund | None = None
    wallet_balance: int | None = None

    @property
    def cash_back(self) -> int:
        """Cash to hand back across the counter."""
        return self.back_by_kind.get(Tender.Kind.CASH, 0)


def order_refund(
    *,
    order: Order,
    actor: Any = None,
    terminal: Terminal | None = None,
    approved_by: Any = None,
    reason: str = "",
    quantities: dict[int, int] | None = None,
    amount: int | None = None,
    payment_id: int | None = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> OrderRefundResult:
    """Refund a paid order: whole (nothing given), some items (`quantities`:
    line id → how many) or an `amount`; with `payment_id` (the API) at most
    what is left of that wallet payment, back to it. Points the order earned
    are reversed once, in proportion; points it was paid with come back with
    the points tender's part; a fully refunded order releases its coupons.

    One durable transaction with the order row locked first: two tills
    refunding the same order queue, and the second sees what the first did;
    a refusal anywhere leaves every tender as it was."""
    with transaction.atomic(durable=True), notices_batched():
        claim_take(idempotency_record)  # the key commits with the refund (payments.idempotency)
        result = order_refund_locked(
            order=order,
            actor=actor,
            terminal=terminal,
            approved_by=approved_by,
            reason=reason,
            quantities=quantities,
            amount=amount,
            payment_id=payment_id,
            idempotency_record=idempotency_record,
        )
    order.refresh_from_db()
    return result


def order_refund_locked(
    *,
    order: Order,
    actor: Any = None,
    terminal: Terminal | None = None,
    approved_by: Any = None,
    reason: str = "",
    quantities: dict[int, int] | None = None,
    amount: int | None = None,
    payment_id: int | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    member_cancel: bool = False,
) -> OrderRefundResult:
    """`order_refund` inside the caller's transaction (which locks the order
    row here, first, unless it holds it already). `member_cancel`: the member
    cancelled an order ahead before it was started — the whole order goes
    back to the wallet that paid it, so no second person approves it (the
    approval guards against refunds to someone else, or in cash)."""
    now = timezone.now()
    locked = Order.objects.select_for_update(of=("self",)).select_related("member", "store").get(pk=order.pk)
    tenders = _refundable_tenders(locked, payment_id)
    if payment_id is not None:
        amount = _amount_for_payment(tenders[0] if tenders else None, payment_id, amount)
    elif locked.status != Order.Status.PAID:
        raise TillError(_("Only paid orders can be refunded."))
    elif amount is None:
        amount = order_refund_amount(order=locked, quantities=quantities)
    if amount <= 0:
        raise TillError(_("Nothing left to refund on those lines."))
    if amount > locked.total - locked.refunded_amount:
        raise RefundExceedsPayment(
            _("At most %(left)s is left to refund on this order.")
            % {"left": format_money(locked.total - locked.refunded_amount)},
            refundable_amount=locked.total - locked.refunded_amount,
        )
    needs_approval = not member_cancel and refund_needs_approval(refunded_before=locked.refunded_amount, amount=amount)
    past_own_total = actor is not None and _past_daily_total(actor=actor, amount=amount, now=now)
    if (needs_approval or past_own_total) and approved_by is None:
        raise RefundRequiresApproval(_approval_wanted(past_own_total))
    if needs_approval or past_own_total:
        approval_check(approver=approved_by, actor=actor, member=locked.member, manager_only=past_own_total)
    refund = OrderRefund.objects.create(
        order=locked,
        number=locked.refund_steps + 1,
        shift=shift_current(store=locked.store),
        amount=amount,
        reason=reason[:200],
        actor=actor,
        terminal=terminal,
        approved_by=approved_by,
        created_at=now,
    )
    result = OrderRefundResult(refund=refund)
    for tender, part in _allocate(amount, tenders):
        _give_back(result, tender, part, reason=reason, idempotency_record=idempotency_record)
    _reverse_loyalty(locked, refund)
    _mark_refunded(locked, refund, quantities)
    _tell_member(locked, result)
    if needs_approval:
        detail = f"Refund {format_money(amount)} on order {locked.pk}"
        transaction.on_commit(
            lambda: risk_alert_raise(
                kind=RiskAlert.Kind.LARGE_REFUND, member=locked.member, terminal=terminal, detail=detail
            )
        )
    return result


def _past_daily_total(*, actor: Any, amount: int, now: datetime) -> bool:
    """Would this refund take the person past their own refund total today?
    Their user row is locked (after the order), so two refunds at once by one
    person are counted one after the other."""
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    done = staff_refunds_today(actor=actor, now=now)
    return done + amount > ProgrammeSettings.current().staff_daily_refund_cap


def _approval_wanted(past_own_total: bool) -> str:
    programme = ProgrammeSettings.current()
    if past_own_total:
        return _("You have refunded over %(cap)s today: a manager approves each further refund.") % {
            "cap": format_money(programme.staff_daily_refund_cap)
        }
    return _("Refunds above %(threshold)s need a shift manager: ask them to approve with their login.") % {
        "threshold": format_money(programme.refund_approval_threshold)
    }


def _refundable_tenders(order: Order, payment_id: int | None) -> list[Tender]:
    """Settled tenders with something left to give back, locked, in refund order
    (the named payment's tender alone, for the API)."""
    tenders = [
        t
        for t in order.tenders.select_for_update(of=("self",)).filter(status=Tender.Status.SETTLED)
        if t.amount > t.refunded_amount
    ]
    if payment_id is not None:
        return [t for t in tenders if t.payment_id == payment_id]
    return sorted(tenders, key=lambda t: (REFUND_ORDER.get(t.kind, 9), t.pk))


def _amount_for_payment(tender: Tender | None, payment_id: int, wanted: int | None) -> int:
    if tender is None:
        status = Payment.objects.filter(pk=payment_id).values_list("status", flat=True).first()
        if status != Payment.Status.SUCCEEDED:
            raise PaymentNotRefundable(_("Only succeeded payments can be refunded."))
        raise RefundExceedsPayment(_("Nothing is left to refund on this payment."), refundable_amount=0)
    left = tender.amount - tender.refunded_amount
    if wanted is not None and wanted > left:
        raise RefundExceedsPayment(
            _("At most %(left)s is left to refund on this payment.") % {"left": format_money(left)},
            refundable_amount=left,
        )
    return left if wanted is None else wanted


def _allocate(amount: int, tenders: list[Tender]) -> list[tuple[Tender, int]]:
    """Fill each tender's room in turn: whole parts, no proportional split."""
    parts = []
    for tender in tenders:
        part = min(tender.amount - tender.refunded_amount, amount)
        if part > 0:
            parts.append((tender, part))
            amount -= part
    if amount:
        raise RefundExceedsPayment(_("The tenders cannot give back that much."), refundable_amount=0)
    return parts


def _give_back(
    result: OrderRefundResult, tender: Tender, part: int, *, reason: str, idempotency_record: IdempotencyRecord | None
) -> None:
    refund = result.refund
    OrderRefundPart.objects.create(refund=refund, tender=tender, amount=part)
    if tender.kind == Tender.Kind.WALLET and tender.payment_id is not None:
        result.wallet_refund, result.wallet_balance = wallet_refund_payment(
            payment_id=tender.payment_id,
            amount=part,
            order_refund=refund,
            reason=reason or "Order refund",
            terminal=refund.terminal,
            actor=refund.actor,
            approved_by=refund.approved_by,
            idempotency_record=idempotency_record,
        )
    elif tender.kind == Tender.Kind.OFFLINE_WALLET:
        result.wallet_balance = offline_tender_refund_locked(tender=tender, amount=part, reference=refund.reference)
    Tender.objects.filter(pk=tender.pk).update(refunded_amount=F("refunded_amount") + part)
    tender.refunded_amount += part
    result.back_by_kind[tender.kind] = result.back_by_kind.get(tender.kind, 0) + part


def _reverse_loyalty(order: Order, refund: OrderRefund) -> None:
    if order.member is None or not order.total:
        return
    points_tenders = list(order.tenders.filter(kind=Tender.Kind.POINTS, status=Tender.Status.SETTLED))
    restore_share = (
        (sum(t.refunded_amount for t in points_tenders), sum(t.amount for t in points_tenders))
        if points_tenders
        else None
    )
    loyalty_on_refund(
        member=order.member,
        reference=order.reference,
        refund_amount=refund.amount,
        original_amount=order.total,
        refund_reference=refund.reference,
        restore_share=restore_share,
    )


def _mark_refunded(order: Order, refund: OrderRefund, quantities: dict[int, int] | None) -> None:
    refunded_total = order.refunded_amount + refund.amount
    if refunded_total >= order.total:
        order.lines.update(refunded_quantity=F("quantity"))
    elif quantities is not None:
        for line, count in _items_to_refund(order, quantities):
            OrderLine.objects.filter(pk=line.pk).update(refunded_quantity=line.refunded_quantity + count)
    status = Order.Status.REFUNDED if refunded_total >= order.total else Order.Status.PAID
    Order.objects.filter(pk=order.pk).update(status=status, refunded_amount=refunded_total, refund_steps=refund.number)


def _tell_member(order: Order, result: OrderRefundResult) -> None:
    """One notice per refund: how much, and where each part went."""
    if order.member is None:
        return
    lines = []
    for kind, back in result.back_by_kind.items():
        if kind == Tender.Kind.WALLET:
            lines.append(
                notice_text(
                    gettext_noop("%(amount)s back to your wallet; balance %(balance)s."),
                    amount=notice_money(back),
                    balance=notice_money(result.wallet_balance or 0),
                )
            )
        else:
            lines.append(
                notice_text(
                    gettext_noop("%(amount)s back by %(tender)s."),
                    amount=notice_money(back),
                    tender=Tender.Kind(kind).label,  # a gettext_lazy: stored as its message
                )
            )
    notice_send(
        member=order.member,
        kind="wallet",
        title=notice_text(
            gettext_noop("Refund %(amount)s at %(store)s"),
            amount=notice_money(result.refund.amount),
            store=order.store.name,
        ),
        body=notice_join(*lines, sep="\n"),
        link=f"/wallet/receipts/{order.pk}/",
    )


@dataclass
class RefundPlan:
    """What `order_refund` would give back, for the till to show before it
    refunds: the amount, per tender kind in refund order, and whether a second
    person must approve."""

    amount: int
    back_by_kind: dict[str, int]
    needs_approval: bool


def order_refund_plan(*, order: Order, quantities: dict[int, int] | None, actor: Any = None) -> RefundPlan:
    """The same amount, tender order and approval rule as `order_refund`,
    read without locks or writes (the refund itself checks all again)."""
    if order.status != Order.Status.PAID:
        raise TillError(_("Only paid orders can be refunded."))
    amount = order_refund_amount(order=order, quantities=quantities)
    if amount <= 0:
        raise TillError(_("Nothing left to refund on those lines."))
    tenders = sorted(
        (t for t in order.tenders.filter(status=Tender.Status.SETTLED) if t.amount > t.refunded_amount),
        key=lambda t: (REFUND_ORDER.get(t.kind, 9), t.pk),
    )
    back: dict[str, int] = {}
    for tender, part in _allocate(amount, tenders):
        back[tender.kind] = back.get(tender.kind, 0) + part
    now = timezone.now()
    own_total = actor is not None and staff_refunds_today(actor=actor, now=now) + amount > (
        ProgrammeSettings.current().staff_daily_refund_cap
    )
    needs = own_total or refund_needs_approval(refunded_before=order.refunded_amount, amount=amount)
    return RefundPlan(amount=amount, back_by_kind=back, needs_approval=needs)
