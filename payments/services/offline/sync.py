"""Sales rung up on an offline till, sent on reconnect (POST /api/v1/offline/sales).

Each sale becomes an Order (channel offline) through the one sale path:
its lines at the prices the till showed, its tenders, then
order_settle_locked, which earns the member's loyalty (a sale paid with an
offline code names the member: points are earned here, at sync, once) and
puts the order in the shift it was rung up in, open or closed, so that
shift's Z report includes it; paid_at is the time it was rung up.

Exactly once: the till makes a key per sale; the first time a key is seen
its outcome (the order, or the refusal) is stored in OfflineSale in the same
transaction; the same key with the same body replays it, with another body
it is refused `idempotency_key_reused`. Each sale has its own transaction,
so one refused sale does not hold back the rest of the batch.

Refusals (per sale, with a code): `offline_sale_invalid` (a SKU that never
existed, a price far from the menu's, tenders that do not add up, a shift of
another store, a time in the future), `offline_code_invalid` (formats.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.problems import Problem
from members.notices import notices_batched
from payments.models import ModifierOption, OfflineSale, Order, OrderLine, Product, Shift, Store, Tender, Terminal
from payments.services.ledger import system_postings_last
from payments.services.offline.formats import CLOCK_SKEW, OfflineCode, offline_code_check
from payments.services.offline.pay import certificate_for_code, offline_tender_pay_locked
from payments.services.orders.settle import order_known_empty, order_settle_locked

MAX_BATCH = 500
OLDEST_SALE = timedelta(days=30)  # a till offline longer than this has bigger problems
# A price the till showed may be an old one, but not wildly off today's menu:
# at most this many times today's price plus this much (a typo, a forgery).
PRICE_FACTOR, PRICE_SLACK = 3, 5_000


class OfflineSaleInvalid(Problem):
    status, code, title = 422, "offline_sale_invalid", "Offline sale cannot be recorded"


class OfflineKeyReused(Problem):
    status, code, title = 422, "idempotency_key_reused", "Idempotency key reused with a different sale"


@dataclass(frozen=True)
class LineIn:
    sku: str
    quantity: int
    unit_price: int
    modifiers: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TenderIn:
    kind: str  # cash | card | offline_wallet
    amount: int
    cash_received: int | None = None
    code: str = ""


@dataclass(frozen=True)
class SaleIn:
    idempotency_key: str
    rung_up_at: datetime
    lines: list[LineIn]
    tenders: list[TenderIn]
    fingerprint: str  # a hash of the sale as sent, to tell a resend from a reused key
    shift: int | None = None


@dataclass
class SaleResult:
    idempotency_key: str
    status: str  # created | replayed | refused
    order: int | None = None
    code: str | None = None
    detail: str | None = None


@dataclass
class _Batch:
    """What the whole batch reads once (a batch of 500 must sync in seconds)."""

    store: Store
    terminal: Terminal | None
    barista: Any
    now: datetime
    products: dict[str, Product]
    options: dict[int, ModifierOption]
    seen: dict[str, OfflineSale]  # keys already recorded, with their outcome
    shifts: list[Shift]  # the store's shifts over the batch's times, newest first


def offline_sales_sync(
    *, store: Store, terminal: Terminal | None, barista: Any, sales: list[SaleIn]
) -> list[SaleResult]:
    """Record a batch of offline sales, in order; one result per sale."""
    skus = {line.sku for sale in sales for line in sale.lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus).prefetch_related("modifiers")}
    options = {m.pk: m for p in products.values() for m in p.modifiers.all()}
    keys = [sale.idempotency_key for sale in sales]
    seen = {row.key: row for row in OfflineSale.objects.filter(store=store, key__in=keys)}
    earliest = min((sale.rung_up_at for sale in sales), default=timezone.now())
    recent = Q(closed_at__isnull=True) | Q(closed_at__gte=earliest)
    shifts = list(Shift.objects.filter(recent, store=store).order_by("-opened_at"))
    batch = _Batch(store, terminal, barista, timezone.now(), products, options, seen, shifts)
    return [_one(batch, sale) for sale in sales]


def _one(batch: _Batch, sale: SaleIn) -> SaleResult:
    seen = _replay(batch, sale)
    if seen is not None:
        return seen
    try:
        codes = _check_codes(sale)  # signatures first: CPU, no locks held
        with transaction.atomic(durable=True), system_postings_last(), notices_batched():
            order = _record(batch, sale, codes)
            # Last, so a key taken meanwhile (another tab, another till) rolls this sale back.
            batch.seen[sale.idempotency_key] = OfflineSale.objects.create(
                store=batch.store,
                key=sale.idempotency_key,
                request_hash=sale.fingerprint,
                status=OfflineSale.Status.CREATED,
                order=order,
                created_at=batch.now,
            )
        return SaleResult(sale.idempotency_key, "created", order=order.pk)
    except IntegrityError:
        # The same key from another tab or till at this instant: its outcome stands.
        in_use = SaleResult(sale.idempotency_key, "refused", code="idempotency_key_in_use")
        return _replay(batch, sale, fresh=True) or in_use
    except Problem as exc:
        return _refuse(batch, sale, exc)


def _replay(batch: _Batch, sale: SaleIn, *, fresh: bool = False) -> SaleResult | None:
    if fresh:
        seen = OfflineSale.objects.filter(store=batch.store, key=sale.idempotency_key).first()
    else:
        seen = batch.seen.get(sale.idempotency_key)
    if seen is None:
        return None
    if seen.request_hash != sale.fingerprint:
        reused = OfflineKeyReused(_("This key was already used for a different sale."))
        return SaleResult(sale.idempotency_key, "refused", code=reused.code, detail=reused.detail)
    if seen.status == OfflineSale.Status.REFUSED:
        return SaleResult(sale.idempotency_key, "refused", code=seen.code, detail=seen.detail)
    return SaleResult(sale.idempotency_key, "replayed", order=seen.order_id)


def _refuse(batch: _Batch, sale: SaleIn, exc: Problem) -> SaleResult:
    """A refusal is an outcome too: a resend sees the same one."""
    try:
        with transaction.atomic(durable=True):
            batch.seen[sale.idempotency_key] = OfflineSale.objects.create(
                store=batch.store,
                key=sale.idempotency_key,
                request_hash=sale.fingerprint,
                status=OfflineSale.Status.REFUSED,
                code=exc.code,
                detail=str(exc.detail)[:300],
                created_at=batch.now,
            )
    except IntegrityError:
        return _replay(batch, sale, fresh=True) or SaleResult(sale.idempotency_key, "refused", code=exc.code)
    return SaleResult(sale.idempotency_key, "refused", code=exc.code, detail=str(exc.detail))


def _check_codes(sale: SaleIn) -> list[OfflineCode | None]:
    return [
        offline_code_check(text=t.code, amount=t.amount, at=sale.rung_up_at) if t.kind == "offline_wallet" else None
        for t in sale.tenders
    ]


def _shift_for(batch: _Batch, sale: SaleIn) -> int | None:
    """The shift the till named (it must be this store's), else the one open
    at the store when the sale was rung up."""
    if sale.shift is not None:
        known = any(shift.pk == sale.shift for shift in batch.shifts)
        if not known and not Shift.objects.filter(pk=sale.shift, store=batch.store).exists():
            raise OfflineSaleInvalid(_("That shift is not this store's."))
        return sale.shift
    for shift in batch.shifts:  # newest first
        if shift.opened_at <= sale.rung_up_at and (shift.closed_at is None or shift.closed_at >= sale.rung_up_at):
            return shift.pk
    return None


def _lines(batch: _Batch, sale: SaleIn, order: Order) -> list[tuple[OrderLine, list[ModifierOption]]]:
    made = []
    for line in sale.lines:
        product = batch.products.get(line.sku)
        if product is None:
            raise OfflineSaleInvalid(_("No product has the SKU %(sku)s.") % {"sku": line.sku})
        allowed = {m.pk for m in product.modifiers.all()}
        if any(pk not in allowed for pk in line.modifiers):
            raise OfflineSaleInvalid(
                _("An option on %(product)s is not one of its options.") % {"product": product.name}
            )
        chosen = [batch.options[pk] for pk in line.modifiers]
        today = product.price + sum(m.price for m in chosen)
        if line.unit_price > today * PRICE_FACTOR + PRICE_SLACK:
            raise OfflineSaleInvalid(
                _("The price of %(product)s is far above the menu's; check the till.") % {"product": product.name}
            )
        label = ", ".join(m.name for m in chosen if not m.is_default or m.price)
        row = OrderLine(
            order=order, product=product, quantity=line.quantity, unit_price=line.unit_price, modifiers_label=label
        )
        made.append((row, chosen))
    return made


def _record(batch: _Batch, sale: SaleIn, codes: list[OfflineCode | None]) -> Order:
    if sale.rung_up_at > batch.now + CLOCK_SKEW or sale.rung_up_at < batch.now - OLDEST_SALE:
        raise OfflineSaleInvalid(_("The sale's time is not plausible; check the till's clock."))
    shift_id = _shift_for(batch, sale)
    order = Order(
        store=batch.store,
        channel=Order.Channel.OFFLINE,
        terminal=batch.terminal,
        barista=batch.barista,
        created_at=sale.rung_up_at,
    )
    lines = _lines(batch, sale, order)
    total = sum(row.line_total for row, _chosen in lines)
    if sum(t.amount for t in sale.tenders) != total:
        raise OfflineSaleInvalid(_("The tenders do not add up to the sale's total."))
    certificates = {}
    for code in codes:
        if code is not None:
            certificates[code.certificate.cert_id] = certificate_for_code(code)
    if len({c.member_id for c in certificates.values()}) > 1:
        raise OfflineSaleInvalid(_("One sale cannot be paid offline by two members."))
    order.subtotal = order.total = total
    order.member = next(iter(certificates.values())).member if certificates else None
    order.save(force_insert=True)
    for row, _chosen in lines:
        row.order = order
    OrderLine.objects.bulk_create([row for row, _chosen in lines])
    for row, chosen in lines:
        if chosen:
            row.modifiers.set(chosen)
    digest = hashlib.sha256(sale.idempotency_key.encode()).hexdigest()[:40]
    tenders = Tender.objects.bulk_create(
        [
            _tender(order, tender_in, f"offline:{batch.store.pk}:{digest}:{index}", sale.rung_up_at)
            for index, tender_in in enumerate(sale.tenders)
        ]
    )
    for tender, code in zip(tenders, codes, strict=True):
        if code is not None:
            offline_tender_pay_locked(
                certificate=certificates[code.certificate.cert_id],
                code=code,
                tender=tender,
                store=batch.store,
                terminal=batch.terminal,
            )
    if order.member is None:
        order_known_empty(order)  # no member: settling reads neither lines nor coupons
    order_settle_locked(order=order, now=sale.rung_up_at, settled=tenders, shift_id=shift_id)
    return order


def _tender(order: Order, tender_in: TenderIn, key: str, at: datetime) -> Tender:
    extra: dict[str, Any] = {}
    if tender_in.kind == Tender.Kind.CASH:
        received = max(tender_in.cash_received or tender_in.amount, tender_in.amount)
        extra = {"cash_received": received, "change_given": received - tender_in.amount}
    return Tender(
        order=order, kind=tender_in.kind, amount=tender_in.amount, idempotency_key=key, created_at=at, **extra
    )
