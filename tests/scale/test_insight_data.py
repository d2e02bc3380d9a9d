"""generate_insight_data refuses anything but PostgreSQL (it is written in its SQL)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from members.models import Member

pytestmark = pytest.mark.django_db


def test_it_refuses_sqlite(settings: Settings) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("generate_insight_data", members=5, visits=10, orders=5)
    assert not Member.objects.exists()
