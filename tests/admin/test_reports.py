"""Each chart's figures come from a selector; with known rows each selector
gives known numbers, and each chart draws and tabulates those numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cafe_loyalty.core.charts import bar_chart, hbar_chart, heat_map, line_chart, nice_ticks
from cafe_loyalty.core.clock import local_day_start
from cafe_loyalty.core.money import format_money
from campaigns.models import Campaign, CampaignEntry, CouponTemplate
from campaigns.report_charts import campaigns_chart, cohort_chart
from campaigns.reports import Cohort, campaign_comparisons
from members.models import Member, Visit
from payments.models import Order, Store, Tender, Transfer
from payments.selectors.reports import sales_by_hour, sales_by_tender, wallet_liability_by_day
from payments.services.top_ups import wallet_top_up
from tests.helpers import pay_from_wallet

pytestmark = pytest.mark.django_db


def at(now: datetime, hour: int, minute: int = 0, days_ago: int = 0) -> datetime:
    return local_day_start(now) - timedelta(days=days_ago) + timedelta(hours=hour, minutes=minute)


@pytest.fixture
def now() -> datetime:
    return local_day_start(timezone.now()) + timedelta(hours=20)  # this evening, local time


@pytest.fixture
def store(db: Any) -> Store:
    return Store.objects.create(name="Da'an", slug="daan")


def paid(store: Store, when: datetime, total: int, *tenders: tuple[str, int, str]) -> Order:
    order = Order.objects.create(store=store, status=Order.Status.PAID, subtotal=total, total=total, paid_at=when)
    for i, (kind, amount, status) in enumerate(tenders):
        Tender.objects.create(order=order, kind=kind, amount=amount, status=status, idempotency_key=f"{order.pk}-{i}")
    return order


def test_sales_by_hour_counts_todays_paid_orders_in_local_hours(store: Store, now: datetime) -> None:
    paid(store, at(now, 9, 15), 12_000)
    paid(store, at(now, 9, 45), 8_000)
    paid(store, at(now, 14, 5), 30_000)
    paid(store, at(now, 9, 30, days_ago=1), 99_000)  # yesterday
    Order.objects.create(store=store, status=Order.Status.OPEN, total=5_000)  # not paid

    hours = sales_by_hour(now=now)

    assert [h.hour for h in hours] == list(range(24))
    assert (hours[9].orders, hours[9].total) == (2, 20_000)
    assert (hours[14].orders, hours[14].total) == (1, 30_000)
    assert sum(h.total for h in hours) == 50_000


def test_sales_by_tender_sums_settled_tenders_of_todays_orders_per_kind(store: Store, now: datetime) -> None:
    settled, failed = Tender.Status.SETTLED, Tender.Status.FAILED
    paid(store, at(now, 8), 20_000, ("wallet", 15_000, settled), ("cash", 5_000, settled))
    paid(store, at(now, 10), 7_000, ("card", 7_000, settled), ("wallet", 7_000, failed))
    paid(store, at(now, 10, days_ago=2), 40_000, ("cash", 40_000, settled))

    rows = {row.kind: (row.tenders, row.amount) for row in sales_by_tender(now=now)}

    assert rows == {
        "wallet": (1, 15_000),
        "cash": (1, 5_000),
        "card": (1, 7_000),
        "points": (0, 0),
        "offline_wallet": (0, 0),
    }


def test_wallet_liability_is_what_wallets_held_at_the_end_of_each_day(
    make_member: Callable[..., Member], store: Store
) -> None:
    ana, bo = make_member("Ana"), make_member("Bo")
    wallet_top_up(member=ana, amount=100_000, tender="cash", store=store)
    wallet_top_up(member=bo, amount=50_000, tender="cash", store=store)
    pay_from_wallet(member=ana, amount=30_000, store=store)
    now = timezone.now()
    # Move the movements back in time: Ana's top-up three days ago, Bo's two,
    # the payment today (the ledger's sums do not depend on when).
    top_ups = Transfer.objects.filter(kind=Transfer.Kind.TOP_UP)
    top_ups.filter(top_up__member=ana).update(created_at=now - timedelta(days=3))
    top_ups.filter(top_up__member=bo).update(created_at=now - timedelta(days=2))

    days = wallet_liability_by_day(days=5, now=now)

    assert [d.day for d in days] == [(local_day_start(now) - timedelta(days=n)).date() for n in range(4, -1, -1)]
    assert [d.balance for d in days] == [0, 100_000, 150_000, 150_000, 120_000]


def test_campaign_comparisons_give_each_groups_came_back_rate(make_member: Callable[..., Member]) -> None:
    template = CouponTemplate.objects.create(name="Drip", kind=CouponTemplate.Kind.FREE_ITEM)
    campaign = Campaign.objects.create(
        name="Miss you", kind=Campaign.Kind.WIN_BACK, coupon_template=template, conversion_days=14
    )
    Campaign.objects.create(name="Never run", kind=Campaign.Kind.WELCOME, coupon_template=template)
    entered = timezone.now() - timedelta(days=20)
    groups = ["treatment"] * 4 + ["holdout"] * 2
    for i, group in enumerate(groups):
        member = make_member(f"M{i}")
        CampaignEntry.objects.create(campaign=campaign, member=member, group=group, entered_at=entered)
        if i in (0, 1, 2, 4):  # three of four sent, one of two held out, came back within 14 days
            Visit.objects.create(member=member, at=entered + timedelta(days=3), reference=f"v{i}")
        if i == 3:  # too late to count
            Visit.objects.create(member=member, at=entered + timedelta(days=15), reference=f"v{i}")

    rows = campaign_comparisons()

    assert [(r.campaign, r.treatment_rate, r.holdout_rate) for r in rows] == [("Miss you", 0.75, 0.5)]
    chart = campaigns_chart(rows)
    assert chart.table.rows == [["Miss you", "75%", "50%"]]
    assert [bar.value_text for bar in chart.bars] == ["75%", "50%"]


def test_nice_ticks_are_round_and_reach_the_top() -> None:
    assert nice_ticks(155_000) == [0, 50_000, 100_000, 150_000, 200_000]
    assert nice_ticks(37) == [0, 10, 20, 30, 40]
    assert nice_ticks(0) == [0, 1]


def test_bar_heights_are_proportional_and_the_table_has_every_figure() -> None:
    chart = bar_chart(
        title="Sales",
        summary="s",
        categories=["09", "10", "11"],
        series=[("Sales", [20_000, 0, 40_000])],
        fmt=format_money,
    )
    heights = [bar.height for bar in chart.bars]
    assert heights[1] == 0 and heights[2] == pytest.approx(2 * heights[0])
    assert chart.y_ticks[-1].text == "NT$400"  # ticks on round amounts, as money
    assert chart.table.rows == [["09", "NT$200"], ["10", "NT$0"], ["11", "NT$400"]]
    assert not chart.empty and bar_chart(title="t", summary="", categories=["a"], series=[("x", [0])]).empty


def test_horizontal_bars_and_line_keep_their_values() -> None:
    bars = hbar_chart(title="t", summary="", categories=["Wallet", "Cash"], series=[("Paid", [300, 100])])
    assert bars.bars[0].width == pytest.approx(3 * bars.bars[1].width)
    line = line_chart(title="t", summary="", labels=["a", "b", "c"], values=[0, 50, 100], fmt=str)
    ys = [y for _, y, _ in line.dots]
    assert ys[0] > ys[1] > ys[2] and line.table.rows == [["a", "0"], ["b", "50"], ["c", "100"]]


def test_error_bars_span_their_interval_and_the_table_gives_each_series_range() -> None:
    chart = hbar_chart(
        title="t",
        summary="",
        categories=["Shown", "Holdout"],
        series=[("Items", [0.4, 0.2]), ("Members", [0.5, 0.25])],
        fmt=lambda v: f"{v:.2f}",
        errors=[[(0.3, 0.8), None], [(0.4, 0.6), (0.1, 0.4)]],
        error_header="Range",
    )
    left, _top, right, _bottom = chart.plot
    scale = (right - left) / 0.8  # the widest range's top is the axis' end, not the largest bar
    shown_items = chart.bars[0]
    assert shown_items.width == pytest.approx(0.4 * scale)
    assert shown_items.whisker.startswith(f"M{left + 0.3 * scale:.1f},")
    assert f"H{left + 0.8 * scale:.1f}" in shown_items.whisker
    assert shown_items.text_x == pytest.approx(left + 0.8 * scale + 4)  # the value is written past the error bar
    assert chart.bars[2].whisker == ""  # no range for the holdout's items (bars go category by category)
    assert chart.table.headers == ["", "Items", "Items: Range", "Members", "Members: Range"]
    assert chart.table.rows[1] == ["Holdout", "0.20", "—", "0.25", "0.10–0.40"]


def test_cohort_heat_map_shades_by_share_and_leaves_future_months_empty() -> None:
    month = local_day_start(timezone.now()).date().replace(day=1)
    chart = cohort_chart([Cohort(month=month, size=10, retained=[0.9, 0.15, None])])
    assert [(cell.level, cell.text) for cell in chart.cells] == [(5, "90%"), (1, "15%"), (-1, "")]
    assert chart.table.rows[0][1:] == ["90%", "15%", "—"]
    plain = heat_map(title="t", summary="", rows=["r"], columns=["+1"], values=[[0.0]], fmt=str)
    assert plain.cells[0].level == 0
