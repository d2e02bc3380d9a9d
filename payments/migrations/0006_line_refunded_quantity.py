# Lines can be refunded a few items at a time: the refunded flag becomes a
# count, and lines already refunded count as refunded in full.

from django.db import migrations, models


def carry_over_refunded_lines(apps, schema_editor):  # type: ignore[no-untyped-def]
    OrderLine = apps.get_model("payments", "OrderLine")
    OrderLine.objects.filter(refunded=True).update(refunded_quantity=models.F("quantity"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_idempotency_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="refunded_quantity",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(carry_over_refunded_lines, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="orderline",
            name="refunded",
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(("refunded_quantity__lte", models.F("quantity"))),
                name="line_refund_within_quantity",
            ),
        ),
    ]
