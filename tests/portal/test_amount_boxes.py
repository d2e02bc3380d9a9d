"""Amount boxes are filled as people write amounts: 300 and 1,000, never 3E+2."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cafe_loyalty.core.money import amount_for_input, parse_money
from payments.models import Account
from payments.services.top_ups import wallet_top_up

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "shown"), [(30_000, "300"), (100_000, "1,000"), (200_000, "2,000"), (12_050, "120.50"), (None, "")]
)
def test_amount_for_input_is_plain_and_reads_back(amount: int | None, shown: str) -> None:
    assert amount_for_input(amount) == shown
    if amount is not None:
        assert parse_money(shown) == amount


def test_top_up_quick_amounts_fill_the_box_with_plain_numbers(member_client: Client) -> None:
    html = member_client.get("/wallet/top-up/").content.decode()
    values = re.findall(r'data-fill="id_amount" data-value="([^"]*)"', html)
    assert values == ["300", "500", "1,000", "2,000"]
    assert "E+" not in html


@pytest.mark.parametrize("language", ["en", "zh-hant", "zh-hans"])
def test_a_quick_amount_as_filled_tops_up_that_much(member_client: Client, member: Any, language: str) -> None:
    member_client.cookies["django_language"] = language
    response = member_client.post("/wallet/top-up/", {"amount": "1,000", "token": f"tok-{language}"})
    assert response.status_code == 302
    assert Account.objects.get(member=member).balance == 100_000


def test_limits_boxes_show_the_current_limits_plainly(member_client: Client, member: Any) -> None:
    wallet_top_up(member=member, amount=10_000, tender="cash")  # opens the wallet
    Account.objects.filter(member=member).update(daily_limit=300_000, no_confirmation_limit=50_000)
    html = member_client.get("/wallet/limits/").content.decode()
    assert 'value="3,000"' in html
    assert 'value="500"' in html
    assert "E+" not in html
