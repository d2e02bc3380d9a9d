"""`make run`'s demo data includes CLV scores, so the admin shows them from the start."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from campaigns.models import ClvFit, MemberValue

pytestmark = pytest.mark.django_db


def test_the_demo_scores_its_guests() -> None:
    with override_settings(DEBUG=True):  # load_demo refuses to run without it
        call_command("load_demo", stdout=io.StringIO())
    assert ClvFit.objects.count() == 1
    assert MemberValue.objects.count() >= 40  # the demo's guests with a visit history
