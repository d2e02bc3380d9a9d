from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from members.models import Member, PointsLot, PointsPolicy
from members.notices import notice_datetime, notice_number, notice_send, notice_text


class Command(BaseCommand):
    help = "Tell members, once per lot, what will expire within the warning period (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        horizon = now + timedelta(days=PointsPolicy.current().warning_days)
        due = PointsLot.objects.filter(
            remaining__gt=0, warned_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon
        )
        told = 0
        with transaction.atomic():
            summary = due.values("member").annotate(points=Sum("remaining"), first=Min("expires_at"))
            members = Member.objects.in_bulk([row["member"] for row in summary])
            for row in summary:
                notice_send(
                    member=members[row["member"]],
                    kind="points",
                    title=notice_text(
                        gettext_noop("%(points)s points expire soon"), points=notice_number(row["points"])
                    ),
                    body=notice_text(
                        gettext_noop("From %(date)s. Use them on a reward before then."),
                        date=notice_datetime(row["first"], "Y-m-d"),
                    ),
                    link="/me/points/",
                )
                told += 1
            due.update(warned_at=now)
        self.stdout.write(f"Warned {told} member(s).")
