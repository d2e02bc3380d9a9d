"""Rewards say how many points are missing, not a greyed-out price."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from campaigns.models import CouponTemplate, Reward
from members.models import Member
from members.points import points_earn

pytestmark = pytest.mark.django_db


def reward(name: str, cost: int) -> Reward:
    template = CouponTemplate.objects.create(name=name, kind=CouponTemplate.Kind.PERCENT_OFF, percent_off=10)
    return Reward.objects.create(name=name, points_cost=cost, template=template)


def rewards_shown(html: str) -> dict[str, str]:
    blocks = re.findall(r'data-testid="reward">(.*?)</form>', html, flags=re.S)
    return {re.search(r"<strong>(.*?)</strong>", block).group(1): block for block in blocks}  # type: ignore[union-attr]


def test_a_reward_out_of_reach_says_how_many_points_are_missing(member_client: Client, member: Member) -> None:
    reward("Pastry", 200)
    reward("Drip coffee", 160)
    points_earn(member=member, points=160, source="order", reference="order:9")
    shown = rewards_shown(member_client.get("/offers/").content.decode())
    assert "You need 40 more points" in shown["Pastry"]
    assert "disabled" not in shown["Pastry"] and "<button" not in shown["Pastry"]
    assert "You need" not in shown["Drip coffee"]
    assert re.search(r'<button class="btn btn-primary" type="submit"', shown["Drip coffee"])
    assert "Get it for 160 pts" in shown["Drip coffee"]


def test_one_point_missing_is_said_in_the_singular_and_in_chinese(member_client: Client, member: Member) -> None:
    reward("Pastry", 200)
    points_earn(member=member, points=199, source="order", reference="order:9")
    assert "You need 1 more point<" in member_client.get("/offers/").content.decode()
    member_client.cookies["django_language"] = "zh-hant"
    assert "還差 1 點" in member_client.get("/offers/").content.decode()
