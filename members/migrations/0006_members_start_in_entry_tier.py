"""Members who joined before new members started in the entry tier get it now:
a member is always in a tier (the API showed `tier: null` until the first
order). Their time in it counts from when they joined."""

from typing import Any

from django.db import migrations
from django.db.models import F


def entry_tier_for_tierless(apps: Any, schema_editor: Any) -> None:
    Tier = apps.get_model("members", "Tier")
    Member = apps.get_model("members", "Member")
    entry = Tier.objects.order_by("rank").first()
    if entry is None:
        return  # no tiers configured: nothing to start in
    Member.objects.filter(tier__isnull=True).update(tier=entry, tier_since=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("members", "0005_consent_activity")]
    operations = [migrations.RunPython(entry_tier_for_tierless, migrations.RunPython.noop)]
