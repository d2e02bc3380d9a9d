"""The admin's front page: today's figures, follow-ups and charts a manager
reads at a glance, each chart with a text alternative, in a pinned number of
queries whatever the amount of data; and the small things of the admin's
pages (names, labels) right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import ProductBonus
from campaigns.segments import segments_compute
from members.models import Member, Visit
from payments.models import Store
from payments.services.top_ups import wallet_top_up
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db

CHARTS = ["chart-sales-by-hour", "chart-sales-by-tender", "chart-liability", "chart-activity", "chart-segments"]
# The session, the user and its permissions (4; MFA memoised); the app list's "can
# add" checks (6) and recent actions (1); attention (2); follow-ups (1 when
# none wait); today (10); the charts: sales by hour, by tender, wallets held
# (2), monthly activity (2: which months are summarised, then the months not
# summarised live; a third reads the summary when there is one), segments (7).
FRONT_PAGE_QUERIES = 31


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


def trade(make_member: Callable[..., Member], members: int) -> None:
    store = Store.objects.get_or_create(name="Da'an", slug="daan")[0]
    for i in range(members):
        member = make_member(f"P{i}")
        wallet_top_up(member=member, amount=100_000, tender="cash", store=store)
        pay_from_wallet(member=member, amount=15_500, store=store)
        Visit.objects.create(member=member, at=timezone.now() - timedelta(days=40), reference=f"old:{i}")
    segments_compute()


def test_front_page_shows_each_chart_with_its_figures_as_text(
    manager_client: Client, make_member: Callable[..., Member]
) -> None:
    trade(make_member, 2)
    page = manager_client.get("/admin/").content.decode()
    for testid in CHARTS:
        assert f'data-testid="{testid}"' in page, testid
    # Every chart is an image with a name and a description, and a table of its figures.
    assert page.count('role="img"') == len(CHARTS)
    assert page.count("<desc id=") == len(CHARTS)
    assert page.count('class="chart-data"') == len(CHARTS)
    assert '<th scope="row">Wallet</th><td>NT$310</td>' in page  # two payments of NT$155
    assert "Member wallets hold NT$1,690" in page  # 2 × (1,000 − 155)


@pytest.mark.parametrize("members", [1, 6])
def test_front_page_makes_a_pinned_number_of_queries(
    manager_client: Client, make_member: Callable[..., Member], members: int, django_assert_num_queries: Any
) -> None:
    trade(make_member, members)
    manager_client.get("/admin/")
    with django_assert_num_queries(FRONT_PAGE_QUERIES):
        assert manager_client.get("/admin/").status_code == 200


def test_reports_page_draws_activity_cohorts_campaigns_and_segments(manager_client: Client) -> None:
    page = manager_client.get("/admin/campaigns/membersegment/retention/").content.decode()
    for testid in ("chart-activity", "chart-cohorts", "chart-campaigns", "chart-segments"):
        assert f'data-testid="{testid}"' in page, testid


def test_model_names_are_spelled_right() -> None:
    assert str(ProductBonus._meta.verbose_name_plural) == "product bonuses"


def test_campaign_date_and_time_inputs_each_have_a_name(manager_client: Client) -> None:
    page = manager_client.get("/admin/campaigns/campaign/add/").content.decode()
    for field in ("starts at", "ends at"):
        assert f'aria-label="{field.capitalize()}: date"' in page or f'aria-label="{field}: date"' in page
        assert f'aria-label="{field.capitalize()}: time"' in page or f'aria-label="{field}: time"' in page
