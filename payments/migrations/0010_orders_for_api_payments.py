"""One sale path: every API payment made before it gets its order (channel
`api`, one wallet tender), its refunds become order refunds, and the loyalty
rows it earned under `payment:<id>` move to the order's reference, so a later
refund reverses them through the order like any other sale. Till orders get
their refund rows too, and paid orders without a shift join the shift that was
open when they were paid.

Written against the historical models (apps.get_model), reading and writing
other apps' tables through their models, never raw SQL."""

from django.db import migrations

TENDER_STATUS = {
    "succeeded": "settled",
    "requires_confirmation": "pending",
    "declined": "failed",
    "expired": "failed",
}


def _shift_at(Shift, store_id, at):
    if at is None:
        return None
    return (
        Shift.objects.filter(store_id=store_id, opened_at__lte=at)
        .exclude(closed_at__lt=at)
        .order_by("-opened_at")
        .first()
    )


def _order_status(payment):
    if payment.status == "succeeded":
        return "refunded" if payment.refunded_amount >= payment.amount else "paid"
    if payment.status == "requires_confirmation":
        return "open"
    return "void"


def _move_references(apps, old, new):
    for app, model, field in [
        ("members", "PointsEntry", "reference"),
        ("members", "PointsLot", "reference"),
        ("members", "PointsShortfall", "reference"),
        ("members", "PointsRefundStep", "reference"),
        ("members", "Visit", "reference"),
        ("campaigns", "Coupon", "order_reference"),
        ("campaigns", "Referral", "qualifying_reference"),
        ("campaigns", "OrderFeedback", "order_reference"),
    ]:
        apps.get_model(app, model).objects.filter(**{field: old}).update(**{field: new})


def forwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Order = apps.get_model("payments", "Order")
    Tender = apps.get_model("payments", "Tender")
    Shift = apps.get_model("payments", "Shift")
    Store = apps.get_model("payments", "Store")
    Refund = apps.get_model("payments", "Refund")
    OrderRefund = apps.get_model("payments", "OrderRefund")
    OrderRefundPart = apps.get_model("payments", "OrderRefundPart")
    PointsRefundStep = apps.get_model("members", "PointsRefundStep")

    fallback_store = Store.objects.order_by("pk").first()
    for payment in Payment.objects.filter(tender__isnull=True).select_related("terminal").order_by("pk").iterator():
        store_id = payment.store_id or (payment.terminal.store_id if payment.terminal_id else None)
        store_id = store_id or (fallback_store.pk if fallback_store else None)
        if store_id is None:
            continue  # no store at all: nothing to attach an order to
        paid_at = payment.completed_at if payment.status == "succeeded" else None
        shift = _shift_at(Shift, store_id, paid_at)
        refunds = list(Refund.objects.filter(payment=payment).order_by("created_at", "pk"))
        order = Order.objects.create(
            channel="api",
            store_id=store_id,
            terminal_id=payment.terminal_id,
            barista_id=payment.actor_id,
            member_id=payment.member_id,
            status=_order_status(payment),
            subtotal=payment.amount,
            total=payment.amount,
            refunded_amount=payment.refunded_amount,
            refund_steps=len(refunds),
            points_earned=payment.points_earned,
            shift=shift,
            created_at=payment.created_at,
            paid_at=paid_at,
        )
        tender = Tender.objects.create(
            order=order,
            kind="wallet",
            status=TENDER_STATUS.get(payment.status, "failed"),
            amount=payment.amount,
            payment=payment,
            refunded_amount=payment.refunded_amount,
            idempotency_key=f"migrated-payment-{payment.pk}",
            created_at=payment.created_at,
        )
        new_reference = f"order:{order.pk}"
        _move_references(apps, f"payment:{payment.pk}", new_reference)
        for number, refund in enumerate(refunds, start=1):
            order_refund = OrderRefund.objects.create(
                order=order,
                number=number,
                shift=_shift_at(Shift, store_id, refund.created_at),
                amount=refund.amount,
                reason=refund.reason,
                actor_id=refund.actor_id,
                terminal_id=refund.terminal_id,
                approved_by_id=refund.approved_by_id,
                created_at=refund.created_at,
            )
            OrderRefundPart.objects.create(refund=order_refund, tender=tender, amount=refund.amount)
            Refund.objects.filter(pk=refund.pk).update(order_refund=order_refund)
            PointsRefundStep.objects.filter(refund_reference=f"refund:{refund.pk}").update(
                refund_reference=f"{new_reference}:refund:{number}"
            )

    # Till orders refunded before refunds had their own rows: one row with
    # what each tender gave back.
    for order in Order.objects.filter(refunded_amount__gt=0, refunds__isnull=True).order_by("pk").iterator():
        order_refund = OrderRefund.objects.create(
            order=order,
            number=max(order.refund_steps, 1),
            shift=order.shift,
            amount=order.refunded_amount,
            reason="Till refund",
            actor_id=order.barista_id,
            created_at=order.paid_at or order.created_at,
        )
        for tender in Tender.objects.filter(order=order, refunded_amount__gt=0):
            OrderRefundPart.objects.create(refund=order_refund, tender=tender, amount=tender.refunded_amount)
            if tender.payment_id:
                Refund.objects.filter(payment_id=tender.payment_id, order_refund__isnull=True).update(
                    order_refund=order_refund
                )

    for order in Order.objects.filter(shift__isnull=True, paid_at__isnull=False).iterator():
        shift = _shift_at(Shift, order.store_id, order.paid_at)
        if shift is not None:
            Order.objects.filter(pk=order.pk).update(shift=shift)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_one_sale_path"),
        ("members", "0005_consent_activity"),
        ("campaigns", "0003_segments_and_lifecycle_campaigns"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
