"""Every report page that reads through `replica_view`, and its CSV, shows
what only the replica holds (PostgreSQL, a second database standing in for
it: tests/scale/conftest.py); the same figures read outside the page come
from the primary, which holds none of it. The sales, liability and retention
pages and the nightly jobs: test_replica_pg."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cafe_loyalty.core.replica import REPLICA
from campaigns.models import Campaign, CampaignEntry, CampaignVariant, Coupon, CouponTemplate, MemberSegment
from campaigns.offer_report import OffersQuery, offers_report
from members.models import Member, Visit
from payments.models import Category, Product, ProductPair, Store
from payments.recommendations.results import top_pairs
from payments.selectors.repurchase import RepurchaseQuery, repurchase_report

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", REPLICA]),
    pytest.mark.usefixtures("replica_database"),
]

_cards = itertools.count(700_000_000_101)


@pytest.fixture
def manager(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)  # the session and permissions stay on the primary
    return client


def replica_member(name: str = "R") -> Member:
    return Member.objects.using(REPLICA).create(card_number=str(next(_cards)), display_name=name)


def page_and_csv(client: Client, url: str) -> tuple[Any, str]:
    page = client.get(url)
    assert page.status_code == 200
    download = client.get(url + ("&" if "?" in url else "?") + "format=csv")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    return page, download.content.decode("utf-8-sig")


def test_the_repurchase_page_reads_the_replica(manager: Client) -> None:
    Store.objects.using(REPLICA).create(name="Replica Da'an", slug="replica-daan")
    member, now = replica_member(), timezone.now()
    for days_ago in (10, 3):
        Visit.objects.using(REPLICA).create(
            member=member, at=now - timedelta(days=days_ago), reference=f"r{days_ago}", store_slug="replica-daan"
        )
    page, csv = page_and_csv(manager, "/admin/payments/order/repurchase/")
    report = page.context["report"]
    assert (report.total.members, report.total.gap_counts) == (1, {7: 1})
    assert [row.name for row in report.stores] == ["Replica Da'an"]  # the store only the replica has
    assert "Replica Da'an" in csv
    today = timezone.localdate()
    primary = repurchase_report(query=RepurchaseQuery(start=today - timedelta(days=179), end=today))
    assert primary.total.members == 0


def test_the_offers_page_reads_the_replica(manager: Client) -> None:
    template = CouponTemplate.objects.using(REPLICA).create(name="Replica latte", kind="free_item")
    issued = timezone.now() - timedelta(days=5)
    Coupon.objects.using(REPLICA).create(
        template=template,
        member=replica_member(),
        code="REPLICA1",
        issued_at=issued,
        expires_at=issued + timedelta(days=30),
        redeemed_at=issued + timedelta(days=1),
        discount=12_000,
    )
    page, csv = page_and_csv(manager, "/admin/payments/order/offers/")
    rows = [(row.name, row.issued, row.redeemed, row.discount) for row in page.context["report"].coupons]
    assert rows == [("Replica latte", 1, 1, 12_000)]
    assert "Replica latte" in csv
    today = timezone.localdate()
    assert offers_report(query=OffersQuery(start=today - timedelta(days=89), end=today)).coupons == []


def test_the_recommendations_page_reads_the_replica(manager: Client) -> None:
    category = Category.objects.using(REPLICA).create(name="Bakery", slug="bakery")
    scone, tart = (
        Product.objects.using(REPLICA).create(category=category, name=name, sku=name.lower(), price=6_000)
        for name in ("Scone", "Tart")
    )
    ProductPair.objects.using(REPLICA).create(product=scone, other=tart, lift=3.5, members_together=7)
    page, csv = page_and_csv(manager, "/admin/payments/recommendationrun/report/")
    assert [(p.product.name, p.other.name, p.lift) for p in page.context["pairs"]] == [("Scone", "Tart", 3.5)]
    assert "Scone" in csv
    assert "Tart" in csv
    assert top_pairs() == []


def test_the_variants_page_reads_the_replica(manager: Client) -> None:
    # The campaign exists only on the replica: read on the primary, the page would be a 404.
    drip = CouponTemplate.objects.using(REPLICA).create(name="Drip", kind="free_item")
    campaign = Campaign.objects.using(REPLICA).create(
        name="Replica spring", kind=Campaign.Kind.WELCOME, coupon_template=drip
    )
    variant = CampaignVariant.objects.using(REPLICA).create(campaign=campaign, name="Replica A")
    entered = timezone.now() - timedelta(days=20)
    for group, chosen in (("treatment", variant), ("holdout", None)):
        CampaignEntry.objects.using(REPLICA).create(
            campaign=campaign, member=replica_member(), group=group, variant=chosen, entered_at=entered
        )
    page, csv = page_and_csv(manager, f"/admin/campaigns/campaign/{campaign.pk}/variants/")
    assert [(row.name, row.members) for row in page.context["results"]][-1] == ("Replica A", 1)
    assert "Replica A" in csv
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_segment_list_reads_the_replica_while_it_renders(manager: Client) -> None:
    member = replica_member("Segmented")
    MemberSegment.objects.using(REPLICA).create(
        member=member,
        last_visit_at=timezone.now(),
        recency_days=1,
        frequency=9,
        monetary=77_700,
        r_score=4,
        f_score=5,
        m_score=5,
        segment=MemberSegment.Segment.CHAMPIONS,
        computed_at=timezone.now(),
    )
    page, csv = page_and_csv(manager, "/admin/campaigns/membersegment/")
    assert page.context["cl"].result_count == 1
    html = page.content.decode()
    assert member.card_number in html
    # The R score filter reads its choices while the page renders: that too on the replica.
    assert "?r_score=4" in html
    assert member.card_number in csv
    assert not MemberSegment.objects.exists()


def test_an_action_on_the_segment_list_reads_the_primary(manager: Client, make_member: Callable[..., Member]) -> None:
    """A POST acts on what it reads: the confirmation lists the primary's rows."""
    member = make_member("Primary")
    at = timezone.now()
    MemberSegment.objects.create(
        member=member,
        last_visit_at=at,
        recency_days=1,
        frequency=1,
        monetary=100,
        r_score=1,
        f_score=1,
        m_score=1,
        segment=MemberSegment.Segment.NEW,
        computed_at=at,
    )
    segment = MemberSegment.objects.get()
    response = manager.post(
        "/admin/campaigns/membersegment/", {"action": "delete_selected", "_selected_action": [segment.pk]}
    )
    assert response.status_code == 200
    assert response.context["queryset"].db == "default"
    assert list(response.context["queryset"]) == [segment]
