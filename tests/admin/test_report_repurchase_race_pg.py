"""The repurchase summary's watermark on PostgreSQL: a visit whose payment drew
its id before another one's but committed after it (two tills at once) is
still counted, however the nightly run falls between them."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from members.models import Visit, VisitGap
from members.visit_gaps import visit_gaps_summarise

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HELD_S = 2.0  # how long the slow payment keeps its visit uncommitted


def test_a_visit_committed_after_a_higher_one_is_not_missed(make_member: Any) -> None:
    member = make_member()
    now = timezone.now()
    day = timezone.localdate(now) - timedelta(days=2)
    at = timezone.make_aware(datetime.combine(day, time(10)))
    Visit.objects.create(member=member, at=at, reference="first")
    visit_gaps_summarise(days=[day], started=now)  # the day is summarised

    inserted, slow_id = threading.Event(), []

    def slow_payment() -> None:
        try:
            with transaction.atomic():
                slow_id.append(Visit.objects.create(member=member, at=at + timedelta(hours=1), reference="slow").pk)
                inserted.set()
                threading.Event().wait(HELD_S)  # still committing while the night's run starts
        finally:
            connection.close()

    worker = threading.Thread(target=slow_payment)
    worker.start()
    assert inserted.wait(10)
    fast = Visit.objects.create(member=member, at=at + timedelta(hours=2), reference="fast")  # a higher id, committed
    assert fast.pk > slow_id[0]

    visit_gaps_summarise(days=[], started=now + timedelta(minutes=5))  # the night's run, mid-payment
    worker.join()
    visit_gaps_summarise(days=[], started=now + timedelta(minutes=10))  # and the next one

    assert set(VisitGap.objects.filter(member=member).values_list("visit_id", flat=True)) == {
        *Visit.objects.filter(member=member).values_list("pk", flat=True)
    }
