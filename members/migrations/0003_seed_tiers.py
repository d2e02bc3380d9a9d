from typing import Any

from django.db import migrations

TIERS = [
    # name, slug, rank, points in 12 months, visits in 12 months, multiplier %, birthday points, free drink on tier-up
    ("Green", "green", 0, 0, 0, 100, 50, False),
    ("Gold", "gold", 1, 1500, 15, 125, 100, True),
    ("Reserve", "reserve", 2, 5000, 50, 150, 200, True),
]


def seed(apps: Any, schema_editor: Any) -> None:
    Tier = apps.get_model("members", "Tier")
    for name, slug, rank, points, visits, multiplier, birthday, drink in TIERS:
        Tier.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "rank": rank,
                "min_points_12m": points,
                "min_visits_12m": visits,
                "multiplier_percent": multiplier,
                "birthday_reward_points": birthday,
                "free_drink_on_tier_up": drink,
            },
        )
    apps.get_model("members", "PointsPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("members", "0002_loyalty")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
