from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0019_visit_at_member_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="visit", name="visit_member_at"),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["member", "at"], include=["store_slug"], name="visit_member_at_store"),
        ),
    ]
