"""Paying an order: tenders (wallet, cash, card, points), held wallet payments
the member confirms, and the API's one-tender sale.

Every tender is taken in one durable transaction with the order row locked
first (lock order: order, then its coupons' templates and coupons, then
payment code or payment, then wallet, then member), and the order is settled
in the same transaction when the tenders cover it, so a sale is paid and
earns its loyalty together or not at all.
Every till tender carries an idempotency key made in the page, so a double
tap or a retried request never charges twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.rows import PreparedQuery, row_create
from campaigns.coupons import coupon_reserve, coupons_unreserve
from members.models import Member, PointsPolicy
from members.notices import notices_batched
from members.points import points_reverse_for_refund, points_spend
from payments.exceptions import PaymentNotFound, WalletError
from payments.models import IdempotencyRecord, Order, Payment, Store, Tender, Terminal
from payments.selectors.orders import order_due
from payments.services.claims import claim_take
from payments.services.ledger import system_postings_last
from payments.services.orders.cart import order_require_proven_member
from payments.services.orders.errors import TillError
from payments.services.orders.results import PaidCart, TenderResult
from payments.services.orders.settle import order_known_empty, order_lock_for_settling, order_settle_locked
from payments.services.risk import wallet_refusal_record
from payments.services.wallet_payments import (
    WalletCharge,
    payment_decline_after_error,
    payment_lock,
    payment_settle_confirmed,
    payments_expire_due,
    wallet_charge,
)

# What the till shows after a tender (built once per process: cafe_loyalty.core.rows).
_ORDER_FOR_TILL = PreparedQuery(
    lambda order_id: Order.objects.select_related("store", "member__tier").filter(pk=order_id)
)


def order_add_tender(
    *,
    order: Order,
    kind: str,
    idempotency_key: str,
    actor: Any,
    amount: int | None = None,
    cash_received: int | None = None,
    points: int | None = None,
) -> TenderResult:
    """Take one tender (at most what is due; `amount` asks for less). A key
    seen before returns the tender it created. The order row is locked first,
    so two taps with different keys cannot both take what is due."""
    existing = Tender.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.order_id != order.pk:
            raise TillError(_("That button was for another order; reload the till."))
        return TenderResult(existing, True)
    if kind not in Tender.Kind.values or kind == Tender.Kind.OFFLINE_WALLET:  # offline codes pay only at sync
        raise TillError(_("Unknown tender."))
    now = timezone.now()
    charge: WalletCharge | None = None
    try:
        with transaction.atomic(durable=True), system_postings_last(), notices_batched():
            locked = order_lock_for_settling(order_id=order.pk)
            # The order's tenders, read once under its lock: the race check,
            # what is due and what settles it all come from this list.
            held = list(Tender.objects.filter(order=locked))
            raced = next((tender for tender in held if tender.idempotency_key == idempotency_key), None)
            if raced is not None:  # the same tap, twice at once: the first one took it
                return TenderResult(raced, True)
            due = _amount_due(locked, amount, held)
            _coupons_hold(locked, now)
            if kind == Tender.Kind.WALLET:
                tender, charge = _wallet_tender(locked, due, idempotency_key, actor, now)
            else:
                tender = _local_tender(locked, kind, due, idempotency_key, cash_received, points)
            settled = [t for t in [*held, tender] if t.status == Tender.Status.SETTLED]
            order_settle_locked(
                order=locked, now=now, wallet_balance=charge.wallet_balance if charge else None, settled=settled
            )
            paid = locked.status == Order.Status.PAID
            paid_cart = (
                PaidCart(list(locked.lines.all()), list(locked.coupons.all()), [*held, tender]) if paid else None
            )
    except WalletError as exc:
        wallet_refusal_record(exc=exc, member=exc.member, terminal=order.terminal)
        raise
    # With what the till shows next (member, tier, store) in the same query.
    _ORDER_FOR_TILL.refresh(order, order_id=order.pk)
    return TenderResult(tender, False, wallet_balance=charge.wallet_balance if charge else None, paid_cart=paid_cart)


def _amount_due(order: Order, wanted: int | None, tenders: list[Tender]) -> int:
    if order.status != Order.Status.OPEN:
        raise TillError(_("This order is already paid."))
    due = order_due(order, tenders)
    if due <= 0 and order.total > 0:
        raise TillError(_("Nothing left to pay."))
    return due if wanted is None else min(wanted, due)


def _coupons_hold(order: Order, now: datetime) -> None:
    """Before money moves, renew the holds on the order's coupons: a coupon
    another order took after this one's hold lapsed (or that expired) is
    refused now, before any tender, not when the last tender settles."""
    if order.member is None:
        return
    for applied in order.coupons.all():  # prefetched by order_lock_for_settling
        coupon_reserve(code=applied.code, member=order.member, order_reference=order.reference, now=now)


def _local_tender(
    order: Order, kind: str, amount: int, key: str, cash_received: int | None, points: int | None
) -> Tender:
    """Cash, card or points: taken at the till, no wallet involved."""
    if kind == Tender.Kind.CASH:
        received = cash_received if cash_received is not None else amount
        if received < amount and received > 0:
            amount = received  # part paid in cash; the rest by another tender
        change = max(received - amount, 0)
        return _create_tender(order, kind, amount, key, cash_received=received, change_given=change)
    if kind == Tender.Kind.CARD:
        return _create_tender(order, kind, amount, key)
    return order_points_tender_locked(order=order, amount=amount, key=key, points=points)


def order_points_tender_locked(
    *, order: Order, amount: int, key: str, points: int | None = None, source: str = "Paid at the till"
) -> Tender:
    """The Points tender, inside the caller's transaction with `order` locked:
    enough whole points for `amount` (or `points`, if fewer), at most what the
    proven member has (points_tender_preview shows the same sum), spent
    against the order so a refund gives them back. The till's Points button
    and an order ahead's "use my points" both take it here."""
    member = order_require_proven_member(order)
    value = PointsPolicy.current().point_value
    wanted = points if points is not None else -(-amount // value)
    wanted = min(wanted, member.points_balance, -(-amount // value))
    if wanted <= 0:
        raise TillError(_("The member has no points to use."))
    points_spend(member=member, points=wanted, source=source, reference=order.reference)
    return _create_tender(order, Tender.Kind.POINTS, min(wanted * value, amount), key, points_used=wanted)


def _create_tender(order: Order, kind: str, amount: int, key: str, **extra: Any) -> Tender:
    if amount <= 0:
        raise TillError(_("Enter an amount above zero."))
    return Tender.objects.create(order=order, kind=kind, amount=amount, idempotency_key=key, **extra)


def wallet_tender_for(order: Order, charge: WalletCharge, *, key: str, **extra: Any) -> Tender:
    """The wallet tender of a charge just made for `order`: settled when the
    payment went through, pending while the member is asked to confirm it."""
    settled = charge.payment.status == Payment.Status.SUCCEEDED
    tender: Tender = row_create(
        Tender,
        order=order,
        kind=Tender.Kind.WALLET,
        amount=charge.payment.amount,
        idempotency_key=key,
        payment=charge.payment,
        status=Tender.Status.SETTLED if settled else Tender.Status.PENDING,
        **extra,
    )
    return tender


def _wallet_tender(order: Order, amount: int, key: str, actor: Any, now: datetime) -> tuple[Tender, WalletCharge]:
    """Charge the code scanned for this order (a code pays once)."""
    if not order.scanned_code_hash:
        raise TillError(_("Scan the member's payment code to pay with the wallet."))
    charge = wallet_charge(
        code_hash=order.scanned_code_hash,
        amount=amount,
        store=order.store,
        terminal=order.terminal,
        actor=actor,
        reference=order.reference,
        now=now,
    )
    tender = wallet_tender_for(order, charge, key=key)
    # The code is spent: it no longer proves the member for points or coupons.
    order.scanned_code_hash, order.member_proven = "", False
    Order.objects.filter(pk=order.pk).update(scanned_code_hash="", member_proven=False)
    return tender, charge


# --- The API's sale: one wallet tender ------------------------------------------------------


@dataclass
class WalletSale:
    order: Order
    payment: Payment
    wallet_balance: int


def order_pay_by_code(
    *,
    code_hash: str,
    amount: int,
    store: Store,
    terminal: Terminal | None = None,
    actor: Any = None,
    reference: str = "",
    idempotency_record: IdempotencyRecord | None = None,
) -> WalletSale:
    """A sale of `amount` paid with the wallet of the member whose one-time
    code this is (`POST /api/v1/payments`): an order (channel api) with one
    wallet tender, settled like a till order — same rows, same loyalty. Above
    the member's no-confirmation limit the order waits for them."""
    now = timezone.now()
    try:
        with transaction.atomic(durable=True), system_postings_last(), notices_batched():
            claim_take(idempotency_record)  # the key commits with the sale (payments.idempotency)
            # The code first (it names the member); the order is new, so no
            # one else can hold its lock.
            charge = wallet_charge(
                code_hash=code_hash,
                amount=amount,
                store=store,
                terminal=terminal,
                actor=actor,
                reference=reference,
                idempotency_record=idempotency_record,
                now=now,
            )
            order = row_create(
                Order,
                channel=Order.Channel.API,
                store=store,
                terminal=terminal,
                barista=actor,
                member=charge.payment.member,
                subtotal=amount,
                total=amount,
                created_at=now,
            )
            tender = wallet_tender_for(order, charge, key=f"{order.reference}:wallet", created_at=now)
            settled = tender.status == Tender.Status.SETTLED
            # Made in this transaction, the order is seen by no one else (no
            # lock to take), has no lines or coupons, and this one tender.
            order_known_empty(order)
            order_settle_locked(
                order=order, now=now, wallet_balance=charge.wallet_balance, settled=[tender] if settled else []
            )
            locked = order
            tender.order = order  # payment.tender.order: the settled order, for the answer
    except WalletError as exc:
        wallet_refusal_record(exc=exc, member=exc.member, terminal=terminal)
        raise
    return WalletSale(order=locked, payment=charge.payment, wallet_balance=charge.wallet_balance)


# --- Held wallet payments ---------------------------------------------------------------------


@dataclass
class ConfirmResult:
    payment: Payment
    order: Order
    wallet_balance: int


def order_confirm_payment(*, payment_id: int, member: Member, approve: bool) -> ConfirmResult:
    """The member approves or declines a wallet payment that waits for them.
    Approval checks again whether the wallet can pay (the same rule as a new
    payment) and, when the order is then covered, settles it: loyalty is
    earned here, once, as for any sale."""
    tender = Tender.objects.filter(payment_id=payment_id, payment__member=member).first()
    if tender is None:
        raise PaymentNotFound(_("No such payment."))
    now = timezone.now()
    try:
        with transaction.atomic(durable=True), notices_batched():
            order = order_lock_for_settling(order_id=tender.order_id)
            payment = payment_lock(payment_id=payment_id, member=member)
            assert payment is not None  # its tender exists
            charge = payment_settle_confirmed(payment=payment, approve=approve, now=now)
            _follow_payment(tender, order, charge.payment)
            order_settle_locked(order=order, now=now, wallet_balance=charge.wallet_balance)
    except WalletError as exc:
        wallet_refusal_record(exc=exc, member=member, terminal=tender.order.terminal)
        raise
    return ConfirmResult(payment=charge.payment, order=order, wallet_balance=charge.wallet_balance)


def _follow_payment(tender: Tender, order: Order, payment: Payment) -> None:
    """A wallet tender follows its payment: settled when it succeeded, failed
    when declined or expired; an API order whose only tender failed is void."""
    if payment.status == Payment.Status.SUCCEEDED:
        status = Tender.Status.SETTLED
    elif payment.status in (Payment.Status.DECLINED, Payment.Status.EXPIRED):
        status = Tender.Status.FAILED
    else:
        return
    if tender.status != status:
        Tender.objects.filter(pk=tender.pk).update(status=status)
        tender.status = status
    if status == Tender.Status.FAILED and order.channel in ONE_TENDER_CHANNELS and order.status == Order.Status.OPEN:
        orders_void_unpaid(order_ids=[order.pk], now=timezone.now())
        order.refresh_from_db(fields=["status", "prep_status", "cancelled_at"])


# Orders paid by their one wallet tender (the API's sale, order ahead): when
# that payment is declined or expires, the order is void (an order ahead is
# cancelled too: it never reaches the queue). A till order stays open for
# another tender.
ONE_TENDER_CHANNELS = (Order.Channel.API, Order.Channel.AHEAD)


def orders_void_unpaid(*, order_ids: list[int], now: datetime) -> None:
    """Void these open one-tender orders, let go of their coupons and give
    back the points that paid part of one (an order ahead paid with points
    and a wallet payment that then waited for the member in vain)."""
    with transaction.atomic():
        voided = Order.objects.filter(pk__in=order_ids, channel__in=ONE_TENDER_CHANNELS, status=Order.Status.OPEN)
        ids = list(voided.values_list("pk", flat=True))
        references = [Order(pk=pk).reference for pk in ids]
        voided.filter(channel=Order.Channel.AHEAD).update(
            status=Order.Status.VOID, prep_status=Order.PrepStatus.CANCELLED, cancelled_at=now
        )
        voided.update(status=Order.Status.VOID)
        if references:
            coupons_unreserve(order_references=references)
            _points_tenders_give_back(ids)


def _points_tenders_give_back(order_ids: list[int]) -> None:
    """The points of a void order's points tender come back through the
    refund's restore (the whole spend, once: the step is keyed by the order),
    and the tender shows it gave them back."""
    paid = Tender.objects.filter(order_id__in=order_ids, kind=Tender.Kind.POINTS, status=Tender.Status.SETTLED)
    for tender in paid.select_related("order__member"):
        order = tender.order
        if order.member is None or tender.refunded_amount >= tender.amount:
            continue
        points_reverse_for_refund(
            member=order.member,
            reference=order.reference,
            refund_amount=tender.amount,
            original_amount=tender.amount,
            refund_reference=f"{order.reference}:void",
            restore_share=(1, 1),
        )
        Tender.objects.filter(pk=tender.pk).update(refunded_amount=tender.amount)


def order_payment_declined(*, payment_id: int, code: str) -> None:
    """An approval that failed (frozen, over the limit, short) declines the
    held payment with its reason, so the till stops waiting; its tender fails."""
    with transaction.atomic():
        if not payment_decline_after_error(payment_id=payment_id, code=code):
            return
        tender = Tender.objects.select_related("order", "payment").filter(payment_id=payment_id).first()
        if tender is not None and tender.payment is not None:
            _follow_payment(tender, tender.order, tender.payment)


def order_refresh_pending(*, order: Order) -> Order:
    """Follow wallet tenders waiting for the member (expiring them when their
    time is up), and settle the order if they now cover it."""
    pending = list(order.tenders.filter(status=Tender.Status.PENDING).exclude(payment=None))
    if not pending:
        return order
    now = timezone.now()
    with transaction.atomic(durable=True), notices_batched():
        locked = order_lock_for_settling(order_id=order.pk)
        for tender in pending:
            assert tender.payment_id is not None
            payments_expire_due(now=now, payment_id=tender.payment_id)
            _follow_payment(tender, locked, Payment.objects.get(pk=tender.payment_id))
        order_settle_locked(order=locked, now=now)
    order.refresh_from_db()
    return order


def orders_expire_held(*, now: datetime | None = None) -> int:
    """The expire_pending_payments job: held payments past their time expire,
    and their tenders and API orders follow. Returns how many expired."""
    now = now or timezone.now()
    expired = payments_expire_due(now=now)
    stale = Tender.objects.filter(status=Tender.Status.PENDING, payment__status=Payment.Status.EXPIRED)
    orders = list(stale.values_list("order_id", flat=True))
    stale.update(status=Tender.Status.FAILED)
    orders_void_unpaid(order_ids=orders, now=now)
    return expired
