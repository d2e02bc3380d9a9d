"""The data migration that gives every API payment made before the one sale
path its order: the order, its wallet tender, its refunds, and the loyalty
rows moved from `payment:<id>` to the order's reference."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from members.models import PointsEntry, PointsLot, PointsRefundStep, Visit
from payments.models import Order, OrderRefund, Refund, Tender

BEFORE = [
    ("payments", "0008_wallet_cash_out"),
    ("members", "0005_consent_activity"),
    ("campaigns", "0003_segments_and_lifecycle_campaigns"),
]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_api_payments_made_before_get_their_order_refunds_and_loyalty() -> None:
    old = migrate(BEFORE)
    now = timezone.now()
    store = old.get_model("payments", "Store").objects.create(name="Da'an", slug="daan")
    shift = old.get_model("payments", "Shift").objects.create(
        store=store, opened_by=old.get_model("auth", "User").objects.create(username="b"), opened_at=now
    )
    terminal = old.get_model("payments", "Terminal").objects.create(
        store=store, name="Kiosk", key_prefix="k", key_hash="h"
    )
    member = old.get_model("members", "Member").objects.create(
        card_number="123456789012", display_name="Mei", points_balance=12
    )
    payment = old.get_model("payments", "Payment").objects.create(
        member=member,
        amount=12_000,
        refunded_amount=2_000,
        status="succeeded",
        store=store,
        terminal=terminal,
        points_earned=12,
        created_at=now,
        completed_at=now,
    )
    refund = old.get_model("payments", "Refund").objects.create(payment=payment, amount=2_000, created_at=now)
    entries = old.get_model("members", "PointsEntry").objects
    entries.create(member=member, kind="earn", points=12, source="order", reference=f"payment:{payment.pk}")
    old.get_model("members", "PointsLot").objects.create(
        member=member,
        points=12,
        remaining=12,
        earned_at=now,
        expires_at=now + timedelta(days=365),
        source="order",
        reference=f"payment:{payment.pk}",
    )
    old.get_model("members", "Visit").objects.create(
        member=member, amount=12_000, at=now, reference=f"payment:{payment.pk}"
    )
    old.get_model("members", "PointsRefundStep").objects.create(
        member=member, reference=f"payment:{payment.pk}", refund_reference=f"refund:{refund.pk}", refund_amount=2_000
    )
    declined = old.get_model("payments", "Payment").objects.create(
        member=member, amount=90_000, status="declined", store=store, terminal=terminal, created_at=now
    )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    tender = Tender.objects.select_related("order").get(payment_id=payment.pk)
    order = tender.order
    assert (order.channel, order.status, order.total, order.refunded_amount, order.points_earned) == (
        "api",
        "paid",
        12_000,
        2_000,
        12,
    )
    assert (order.member_id, order.terminal_id, order.shift_id) == (member.pk, terminal.pk, shift.pk)
    assert (tender.kind, tender.status, tender.amount, tender.refunded_amount) == ("wallet", "settled", 12_000, 2_000)
    order_refund = OrderRefund.objects.get(order=order)
    assert (order_refund.number, order_refund.amount, order_refund.shift_id) == (1, 2_000, shift.pk)
    assert Refund.objects.get(pk=refund.pk).order_refund == order_refund
    assert PointsEntry.objects.get(member_id=member.pk).reference == order.reference
    assert PointsLot.objects.get(member_id=member.pk).reference == order.reference
    assert Visit.objects.get(member_id=member.pk).reference == order.reference
    assert PointsRefundStep.objects.get(member_id=member.pk).refund_reference == f"{order.reference}:refund:1"
    void = Tender.objects.select_related("order").get(payment_id=declined.pk)
    assert (void.status, void.order.status) == ("failed", Order.Status.VOID)
