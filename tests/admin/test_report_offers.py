"""The offers report (issue #17, item 3): per coupon template, campaign and
points promotion, what was issued and redeemed, what it cost, and (from a
campaign's holdout) the visits it brought and their cost; each figure against
a small set of coupons, entries and awards counted by hand, then the page,
its filter, its CSV and its query count."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, CampaignEntry, Coupon, CouponTemplate, Promotion, PromotionAward
from campaigns.offer_report import OffersQuery, OffersReport, offers_report
from members.models import Member, PointsPolicy, Visit
from payments.insight_charts import fit
from tests.conftest import add_totp, make_user

pytestmark = pytest.mark.django_db

URL = "/admin/payments/order/offers/"
JUNE = {"start": date(2030, 6, 1), "end": date(2030, 6, 30)}


def local(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2030, month, day, hour, minute), timezone.get_default_timezone())


@pytest.fixture
def manager_client(client: Client, manager_user: Any) -> Client:
    client.force_login(manager_user)
    return client


class World:
    def __init__(self, make_member: Any) -> None:
        self.make_member = make_member
        self.codes = 0
        self.latte = CouponTemplate.objects.create(name="Free latte", kind="free_item")
        self.fifty = CouponTemplate.objects.create(name="NT$50 off", kind="amount_off", amount_off=5_000)
        self.come_back = CouponTemplate.objects.create(name="Come back 20% off", kind="percent_off", percent_off=20)
        self.welcome = CouponTemplate.objects.create(name="Welcome drink", kind="free_item")
        someone = make_member()
        # Free latte: three issued in June (two used, NT$120 each), one issued in May (used in June: not counted).
        self.coupon(self.latte, someone, local(6, 2), redeemed=12_000)
        self.coupon(self.latte, someone, local(6, 3), redeemed=12_000)
        self.coupon(self.latte, someone, local(6, 4))
        self.coupon(self.latte, someone, local(5, 20), redeemed=12_000)
        # NT$50 off: one issued in June and used; one issued 07-01 00:30 local (after the period).
        self.coupon(self.fifty, someone, local(6, 30, 23, 59), redeemed=5_000)
        self.coupon(self.fifty, someone, local(7, 1, 0, 30), redeemed=5_000)
        # Win-back: four sent (two coupons used, NT$30 each; three came back within 14 days),
        # two held out (one came back).
        self.win_back = self.campaign("Win-back", self.come_back, holdout_percent=20)
        for i, (used, back) in enumerate([(3_000, True), (3_000, True), (0, True), (0, False)]):
            self.enter(self.win_back, "treatment", local(6, 10), redeemed=used, back_after=3 if back else None, i=i)
        self.enter(self.win_back, "holdout", local(6, 10), back_after=13)
        self.enter(self.win_back, "holdout", local(6, 10), back_after=15)  # too late: not converted
        # Welcome: no holdout; two sent, none used.
        self.welcome_campaign = self.campaign("Welcome", self.welcome, holdout_percent=0)
        for i in range(2):
            self.enter(self.welcome_campaign, "treatment", local(6, 20), back_after=1, i=i)
        # Spring: entered members in May only: not in June's report.
        self.enter(self.campaign("Spring", self.welcome, holdout_percent=10), "holdout", local(5, 5))
        # Promotions: double points gave 20 and 10 points to two June orders (and 7 in July); +5 gave 5.
        self.double = Promotion.objects.create(name="Double Tuesday", multiplier_percent=200)
        self.bonus = Promotion.objects.create(name="+5 app bonus", bonus_points=5, stackable=True)
        self.award(self.double, "order:1", 20, local(6, 4))
        self.award(self.double, "order:2", 10, local(6, 11))
        self.award(self.double, "order:3", 7, local(7, 2))
        self.award(self.bonus, "order:1", 5, local(6, 4))
        policy = PointsPolicy.current()
        policy.point_value = 50  # NT$0.50 a point
        policy.save()

    def coupon(self, template: CouponTemplate, member: Member, issued: datetime, redeemed: int = 0) -> Coupon:
        self.codes += 1
        return Coupon.objects.create(
            template=template,
            member=member,
            code=f"C{self.codes:05d}",
            issued_at=issued,
            expires_at=issued + timedelta(days=30),
            redeemed_at=issued + timedelta(days=1) if redeemed else None,
            discount=redeemed,
        )

    def campaign(self, name: str, template: CouponTemplate, holdout_percent: int) -> Campaign:
        return Campaign.objects.create(
            name=name, kind="welcome", coupon_template=template, holdout_percent=holdout_percent, conversion_days=14
        )

    def enter(
        self, campaign: Campaign, group: str, at: datetime, redeemed: int = 0, back_after: int | None = None, i: int = 0
    ) -> None:
        member = self.make_member()
        coupon = self.coupon(campaign.coupon_template, member, at, redeemed) if group == "treatment" else None
        CampaignEntry.objects.create(campaign=campaign, member=member, group=group, entered_at=at, coupon=coupon)
        if back_after is not None:
            Visit.objects.create(member=member, at=at + timedelta(days=back_after), reference=f"back{member.pk}")

    def award(self, promotion: Promotion, reference: str, points: int, at: datetime) -> None:
        member = Member.objects.earliest("pk")
        PromotionAward.objects.create(
            promotion=promotion, member=member, reference=reference, points=points, awarded_at=at
        )


@pytest.fixture
def world(make_member: Any) -> World:
    return World(make_member)


def report(**query: Any) -> OffersReport:
    return offers_report(query=OffersQuery(**{**JUNE, **query}))


def test_coupon_templates_issued_in_the_period_redeemed_and_their_cost(world: World) -> None:
    coupons = [(c.name, c.issued, c.redeemed, c.discount) for c in report().coupons]

    assert coupons == [
        ("Come back 20% off", 4, 2, 6_000),  # the win-back's coupons
        ("Free latte", 3, 2, 24_000),
        ("Welcome drink", 2, 0, 0),
        ("NT$50 off", 1, 1, 5_000),
    ]
    assert report().coupons[1].redemption_rate == 2 / 3


def test_campaigns_incremental_visits_from_the_holdout_and_their_cost(world: World) -> None:
    win_back, welcome = report().campaigns[1], report().campaigns[0]  # newest first

    assert (win_back.name, win_back.issued, win_back.redeemed, win_back.discount) == ("Win-back", 4, 2, 6_000)
    assert (win_back.sent, win_back.held_out, win_back.sent_rate, win_back.held_out_rate) == (4, 2, 0.75, 0.5)
    assert win_back.incremental_visits == 1.0  # (3/4 − 1/2) × 4 sent
    assert win_back.cost_per_incremental_visit == 6_000  # NT$60 of discounts ÷ 1 visit
    assert (welcome.name, welcome.issued, welcome.sent, welcome.held_out) == ("Welcome", 2, 2, 0)
    assert welcome.incremental_visits is None and welcome.cost_per_incremental_visit is None  # no holdout
    assert [c.name for c in report().campaigns] == ["Welcome", "Win-back"]  # Spring entered no one in June


def test_a_campaign_no_better_than_its_holdout_has_no_cost_per_visit(world: World) -> None:
    CampaignEntry.objects.filter(campaign=world.win_back, group="holdout").update(entered_at=local(6, 15))
    win_back = report().campaigns[1]

    # Both held-out members' visits (06-23, 06-25) now fall within 14 days of 06-15: 2 of 2 came back.
    assert (win_back.sent_rate, win_back.held_out_rate) == (0.75, 1.0)
    assert win_back.incremental_visits == -1.0
    assert win_back.cost_per_incremental_visit is None


def test_promotions_extra_points_valued_at_the_point_value(world: World) -> None:
    promotions = [(p.name, p.orders, p.points, p.cost) for p in report().promotions]

    assert promotions == [("Double Tuesday", 2, 30, 1_500), ("+5 app bonus", 1, 5, 250)]
    assert report().point_value == 50


def test_a_shorter_period_keeps_only_its_offers(world: World) -> None:
    result = report(start=date(2030, 6, 1), end=date(2030, 6, 3))

    assert [(c.name, c.issued) for c in result.coupons] == [("Free latte", 2)]
    assert result.campaigns == []
    assert result.promotions == []


def test_a_coupon_template_filter_keeps_that_template_and_the_campaigns_giving_it(world: World) -> None:
    result = report(template_id=world.come_back.pk)

    assert [(c.name, c.issued) for c in result.coupons] == [("Come back 20% off", 4)]
    assert [c.name for c in result.campaigns] == ["Win-back"]  # Welcome gives the welcome drink
    assert result.promotions == []  # a promotion is not a coupon template


def test_a_promotion_filter_keeps_only_that_promotion(world: World) -> None:
    result = report(promotion_id=world.bonus.pk)

    assert [(p.name, p.orders, p.points) for p in result.promotions] == [("+5 app bonus", 1, 5)]
    assert result.coupons == [] and result.campaigns == []
    both = report(template_id=world.latte.pk, promotion_id=world.double.pk)
    assert [c.name for c in both.coupons] == ["Free latte"] and [p.name for p in both.promotions] == ["Double Tuesday"]


# --- The page ----------------------------------------------------------------------


def filters(**more: str) -> dict[str, str]:
    return {"start": "2030-06-01", "end": "2030-06-30", **more}


def test_the_page_draws_each_chart_and_says_what_cannot_be_known(manager_client: Client, world: World) -> None:
    page = manager_client.get(URL, filters()).content.decode()

    for testid in ("cost", "redemption"):
        assert f'data-testid="chart-offers-{testid}"' in page, testid
    campaigns = page.split('data-testid="offers-campaigns"')[1].split("</table>")[0]
    assert "no holdout: cannot be known" in campaigns  # Welcome
    assert "<td>1.0</td>" in campaigns and "NT$60" in campaigns  # Win-back
    assert "NT$15" in page.split('data-testid="offers-promotions"')[1]  # 30 points × NT$0.50
    june_only = manager_client.get(URL, filters(end="2030-06-03")).content.decode()
    assert "Double Tuesday" not in june_only.split('data-testid="offers-promotions"')[1]


def test_the_csv_has_each_table(manager_client: Client, world: World) -> None:
    response = manager_client.get(URL, filters(format="csv"))

    assert 'filename="offers-2030-06-01-2030-06-30.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["Offers", "2030-06-01", "2030-06-30"]
    # Free latte's three were issued by hand: no holdout, no incremental visits.
    assert ["Free latte", "3", "2", "0.6667", "240.00", "3", "", ""] in rows
    assert ["Come back 20% off", "4", "2", "0.5", "60.00", "0", "1.0", "60.00"] in rows  # the win-back's
    assert ["Win-back", "4", "2", "0.5", "60.00", "4", "2", "0.75", "0.5", "1.0", "60.00"] in rows
    assert ["Welcome", "2", "0", "0.0", "0.00", "2", "0", "1.0", "", "", ""] in rows
    # No holdout (0 %): the ten members were all offered it; seven visits in June; the earliest earned it.
    assert ["Double Tuesday", "2", "30", "15.00", "0", "10", "1", "0.1", "0.7", "", "", ""] in rows


def test_a_filter_says_which_sections_it_leaves_out_instead_of_none(manager_client: Client, world: World) -> None:
    """Filtered to one coupon template, the promotions section does not say
    "No promotion gave points" (promotions gave 30 points in June): it says
    the filter leaves it out; filtered to one promotion, likewise the coupons
    and campaigns. The CSV says the same under each table's header."""
    page = manager_client.get(URL, filters(template=str(world.latte.pk))).content.decode()
    assert "No promotion gave points" not in page and 'data-testid="offers-promotions"' not in page
    promotions = page.split('data-testid="offers-promotions-filtered"')[1].split("</p>")[0]
    assert "filtered to the coupon template “Free latte”" in promotions
    assert 'data-testid="offers-coupons"' in page and 'data-testid="offers-campaigns"' in page
    assert "-filtered" not in page.replace("offers-promotions-filtered", "")

    page = manager_client.get(URL, filters(promotion=str(world.bonus.pk))).content.decode()
    for section in ("coupons", "campaigns"):
        note = page.split(f'data-testid="offers-{section}-filtered"')[1].split("</p>")[0]
        assert "filtered to the promotion “+5 app bonus”" in note, section
        assert f'data-testid="offers-{section}"' not in page
    assert "No coupons issued" not in page and "No campaign entered anyone" not in page
    assert 'data-testid="chart-offers-redemption"' not in page  # a rate of coupons, and none are in view
    assert "+5 app bonus" in page.split('data-testid="offers-promotions"')[1]

    both = manager_client.get(URL, filters(template=str(world.latte.pk), promotion=str(world.double.pk)))
    assert "-filtered" not in both.content.decode()  # each section keeps its own offer

    rows = list(
        csv.reader(
            io.StringIO(
                manager_client.get(URL, filters(template=str(world.latte.pk), format="csv")).content.decode("utf-8")[1:]
            )
        )
    )
    header = [i for i, row in enumerate(rows) if row[:4] == ["Promotion", "Orders", "Extra points", "Cost (TWD)"]][0]
    assert "filtered to the coupon template “Free latte”" in rows[header + 1][0]


def test_the_lists_of_coupon_templates_and_promotions_link_to_their_offers(
    manager_client: Client, world: World
) -> None:
    templates = manager_client.get("/admin/campaigns/coupontemplate/").content.decode()
    assert f'href="{URL}?template={world.latte.pk}"' in templates
    promotions = manager_client.get("/admin/campaigns/promotion/").content.decode()
    assert f'href="{URL}?promotion={world.double.pk}"' in promotions
    # The link names only the offer; the period is the report's default (the last 90 days).
    page = manager_client.get(URL, {"template": world.latte.pk}).content.decode()
    assert f'<option value="{world.latte.pk}" selected>Free latte</option>' in page
    assert f'value="{timezone.localdate().isoformat()}"' in page  # today, the period's end
    june = manager_client.get(URL, filters(template=str(world.latte.pk))).content.decode()
    coupons = june.split('data-testid="offers-coupons"')[1].split("</table>")[0]
    assert "Free latte" in coupons and "NT$50 off" not in coupons


def test_staff_who_cannot_open_the_report_see_no_link(client: Client, world: World, django_user_model: Any) -> None:
    clerk = make_user(django_user_model, "clerk@example.com")
    clerk.is_staff = True
    clerk.save()
    add_totp(clerk)
    clerk.user_permissions.add(Permission.objects.get(codename="view_coupontemplate"))
    client.force_login(clerk)
    page = client.get("/admin/campaigns/coupontemplate/")
    assert page.status_code == 200 and URL not in page.content.decode()


def test_the_front_page_links_the_report(manager_client: Client) -> None:
    assert f'href="{URL}"' in manager_client.get("/admin/").content.decode()


def test_a_barista_cannot_open_the_report(client: Client, barista_user: Any) -> None:
    client.force_login(barista_user)
    assert client.get(URL).status_code == 302
    assert client.get(URL + "?format=csv").status_code == 302


# The session, user, MFA and permissions (5); the side bar's "can add" checks
# (3); coupons, campaigns, their coupons (3); promotions: their awards, the
# promotions, and their members' groups with those members' visits (3); the filter's coupon
# templates and promotions to choose from (2); then one per campaign shown
# (its holdout comparison). Coupon templates and promotions cost none per row.
OFFERS_PAGE_QUERIES = 15


@pytest.mark.parametrize("offers", [1, 3])
def test_the_page_makes_a_pinned_number_of_queries(
    manager_client: Client, make_member: Any, offers: int, django_assert_num_queries: Any
) -> None:
    member, held_out = make_member(), make_member()
    for i in range(offers):
        # Each campaign its own template, with a holdout; each promotion with a holdout.
        template = CouponTemplate.objects.create(name=f"T{i}", kind="free_item")
        campaign = Campaign.objects.create(name=f"C{i}", kind="welcome", coupon_template=template)
        coupon = Coupon.objects.create(
            template=template, member=member, code=f"Q{i}", expires_at=timezone.now() + timedelta(days=9)
        )
        CampaignEntry.objects.create(campaign=campaign, member=member, group="treatment", coupon=coupon)
        CampaignEntry.objects.create(campaign=campaign, member=held_out, group="holdout")
        promotion = Promotion.objects.create(name=f"Double {i}", multiplier_percent=200, holdout_percent=20)
        PromotionAward.objects.create(promotion=promotion, member=member, reference="order:1", points=5)
    Visit.objects.create(member=member, at=timezone.now() - timedelta(hours=1), reference="v")
    manager_client.get(URL)
    with django_assert_num_queries(OFFERS_PAGE_QUERIES + offers):
        page = manager_client.get(URL).content.decode()
    assert page.count('<th scope="row">T') == page.count('<th scope="row">Double ') == offers


def test_a_long_offer_name_is_cut_to_fit_left_of_its_bar() -> None:
    assert fit("Coupon: Free latte") == "Coupon: Free latte"
    assert fit("x" * 40) == "x" * 30 + "…"  # 31 letters' room
    assert fit("優惠券：" + "x" * 40) == "優惠券：" + "x" * 22 + "…"  # Chinese characters count twice


@pytest.mark.parametrize("path", ["/admin/campaigns/coupontemplate/", "/admin/campaigns/promotion/"])
def test_the_offer_links_cost_no_query_per_row(manager_client: Client, path: str) -> None:
    def queries_with(rows: int) -> int:
        for i in range(rows):
            CouponTemplate.objects.create(name=f"T{i}", kind="free_item")
            Promotion.objects.create(name=f"P{i}", bonus_points=1)
        with CaptureQueriesContext(connection) as done:
            assert manager_client.get(path).content.decode().count(f"{URL}?") >= rows
        return len(done)

    manager_client.get(path)  # warm: the staff-MFA check is memoised per process after the first request
    assert queries_with(2) == queries_with(6)
