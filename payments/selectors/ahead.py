"""Reads of order ahead: stores that take it, a store's menu with what is
sold out, a store's queue, and a member's orders."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum

from payments.models import Category, ModifierOption, Order, OrderLine, Product, Store

# Paid and not yet done: what the baristas have to make.
QUEUE_STATUSES = (Order.PrepStatus.RECEIVED, Order.PrepStatus.PREPARING, Order.PrepStatus.READY)
# What is still to be made, for the estimate (a ready drink waits on the counter).
MAKING_STATUSES = (Order.PrepStatus.RECEIVED, Order.PrepStatus.PREPARING)


def stores_for_ordering() -> QuerySet[Store]:
    """Active stores with their opening hours, order-ahead ones first."""
    return Store.objects.filter(is_active=True).prefetch_related("hours").order_by("-ahead_enabled", "name")


def store_for_ordering(*, slug: str) -> Store | None:
    return stores_for_ordering().filter(slug=slug).first()


@dataclass
class AheadMenu:
    categories: list[Category]  # each with .ahead_products: its active products
    sold_out_products: set[int]
    sold_out_modifiers: set[int]


def ahead_menu(*, store: Store) -> AheadMenu:
    """The menu as members order from it at this store: active products by
    category, with their options, and which products and options are sold
    out there. Five queries whatever the menu's size."""
    products = Product.objects.filter(is_active=True).prefetch_related(
        Prefetch("modifiers", queryset=ModifierOption.objects.order_by("group", "position", "name"))
    )
    listed = Category.objects.prefetch_related(Prefetch("products", queryset=products, to_attr="ahead_products"))
    categories: list[Category] = [category for category in listed if category.ahead_products]
    return AheadMenu(
        categories=categories,
        sold_out_products=set(store.unavailable_products.values_list("pk", flat=True)),
        sold_out_modifiers=set(store.unavailable_modifiers.values_list("pk", flat=True)),
    )


def ahead_queue_items(*, store: Store) -> int:
    """Items the baristas still have to make for paid orders ahead."""
    lines = OrderLine.objects.filter(
        order__store=store,
        order__status=Order.Status.PAID,
        order__prep_status__in=MAKING_STATUSES,
    )
    return int(lines.aggregate(n=Sum("quantity"))["n"] or 0)


def _with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("store", "member").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product").prefetch_related("modifiers")),
        "tenders__payment",
        "refunds",
    )


def ahead_queue(*, store: Store, prep_statuses: list[str] | None = None, limit: int = 100) -> list[Order]:
    """The store's paid orders ahead that are not collected (or those in
    `prep_statuses`), pickup time first (as soon as possible counts as when
    it was paid). A cancelled or unpaid order never shows here unless asked
    for by status."""
    orders = Order.objects.filter(store=store, channel=Order.Channel.AHEAD)
    if prep_statuses:
        orders = orders.filter(prep_status__in=prep_statuses)
        if not set(prep_statuses) & {Order.PrepStatus.CANCELLED}:
            orders = orders.filter(status__in=(Order.Status.PAID, Order.Status.REFUNDED))
    else:
        orders = orders.filter(status=Order.Status.PAID, prep_status__in=QUEUE_STATUSES)
    found = list(_with_details(orders).order_by("-paid_at", "-pk")[:limit])
    return sorted(found, key=lambda o: (o.pickup_at or o.paid_at or o.created_at, o.pk))


def ahead_order_for_store(*, store: Store, order_id: int) -> Order | None:
    return _with_details(Order.objects.filter(store=store, channel=Order.Channel.AHEAD, pk=order_id)).first()


def member_ahead_orders(*, member_id: int, limit: int = 50) -> list[Order]:
    """The member's orders ahead, newest first."""
    orders = Order.objects.filter(member_id=member_id, channel=Order.Channel.AHEAD).order_by("-created_at", "-pk")
    return list(_with_details(orders)[:limit])


def member_ahead_order(*, member_id: int, order_id: int) -> Order | None:
    """One of the member's orders ahead (another's is None, like an unknown id)."""
    return _with_details(Order.objects.filter(member_id=member_id, channel=Order.Channel.AHEAD, pk=order_id)).first()


def ahead_queue_fingerprint(*, store: Store) -> str:
    """What the till's queue shows, in one short query: each queued order and
    its step. It changes when an order is paid into the queue, moves on,
    is collected or cancelled — the till's poll answers 304 while it does not."""
    rows = (
        Order.objects.filter(
            store=store, channel=Order.Channel.AHEAD, status=Order.Status.PAID, prep_status__in=QUEUE_STATUSES
        )
        .order_by("pk")
        .values_list("pk", "prep_status")
    )
    return ";".join(f"{pk}:{step}" for pk, step in rows)
