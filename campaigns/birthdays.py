from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from campaigns.models import BirthdayGrant
from campaigns.selectors import members_due_birthday_reward
from members.notices import notice_text
from members.points import points_earn


def birthday_rewards_grant(*, today: date) -> int:
    """Points for members whose birthday month is this month, once per year
    (the birthday itself can change only once a year, so it cannot be farmed)."""
    granted = 0
    for member in members_due_birthday_reward(today=today).iterator():
        points = member.tier.birthday_reward_points if member.tier else 50
        try:
            with transaction.atomic():
                BirthdayGrant.objects.create(member=member, year=today.year)
                points_earn(
                    member=member,
                    points=points,
                    source="birthday",
                    reference=f"birthday:{today.year}",
                    explanation=notice_text(gettext_noop("Happy birthday!")),
                )
            granted += 1
        except IntegrityError:
            continue  # granted by a concurrent run
    return granted
