"""Money controls: value a manager creates by hand — coupons, un-redeeming
them, coupon templates, top-up bonus rules, points adjustments — needs a
second manager above a size, and every such change is in the value-change log.

Each attack goes through the admin as a manager would (the real forms and
actions); the autouse fixture checks the wallet and points ledgers after each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from cafe_loyalty.models import ValueChange
from cafe_loyalty.value_changes.decisions import value_change_approve, value_change_reject
from cafe_loyalty.value_changes.requests import coupon_issue_request, points_adjust_request
from campaigns.models import Coupon, CouponTemplate
from members.models import Member
from members.services import member_get_or_create_for_user
from payments.exceptions import ApprovalRefused
from payments.models import TopUpBonusRule
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory, make_staff

pytestmark = pytest.mark.django_db

CHANGES = "/admin/cafe_loyalty/valuechange/"
WAITING = "Waiting for a second manager"


@pytest.fixture
def second_manager(django_user_model: Any) -> Any:
    return make_staff(django_user_model, "manager2@example.com", "Manager")


@pytest.fixture
def wen(db: Any) -> Member:
    return MemberFactory.create(display_name="Wen")


def template(name: str, amount_off: int, **fields: Any) -> CouponTemplate:
    return CouponTemplate.objects.create(name=name, kind="amount_off", amount_off=amount_off, **fields)


def decide(client: Client, user: Any, change: ValueChange, action: str = "approve") -> str:
    client.force_login(user)
    response = client.post(CHANGES, {"action": action, "_selected_action": [change.pk]}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def only_change() -> ValueChange:
    change = ValueChange.objects.get()
    return change


# --- Coupons -----------------------------------------------------------------------------


def test_a_large_coupon_waits_for_a_second_manager_and_is_issued_once(
    client: Client, manager_user: Any, second_manager: Any, wen: Member
) -> None:
    big = template("NT$1,000 off", 100_000)
    client.force_login(manager_user)
    asked = client.post(
        "/admin/campaigns/coupon/add/", {"template": big.pk, "member": wen.pk, "reason": "apology"}, follow=True
    )
    assert WAITING in asked.content.decode()
    change = only_change()
    assert (change.kind, change.status, change.size, change.member) == ("coupon_issue", "pending", 100_000, wen)
    assert not Coupon.objects.exists()

    refused = decide(client, manager_user, change)  # the requester approving their own
    assert "Someone other than" in refused
    assert not Coupon.objects.exists()
    change.refresh_from_db()
    assert change.status == "pending"

    decide(client, second_manager, change)
    decide(client, second_manager, change)  # approving again applies nothing more
    coupon = Coupon.objects.get()
    assert (coupon.member, coupon.template, coupon.source) == (wen, big, "manual")
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.result_id) == ("applied", second_manager, str(coupon.pk))
    assert wen.notices.filter(kind="offer").count() == 1


def test_a_small_coupon_is_issued_at_once_and_logged(client: Client, manager_user: Any, wen: Member) -> None:
    small = template("NT$100 off", 10_000)
    client.force_login(manager_user)
    response = client.post("/admin/campaigns/coupon/add/", {"template": small.pk, "member": wen.pk, "reason": "sorry"})
    coupon = Coupon.objects.get()
    assert response.status_code == 302 and coupon.member == wen
    change = only_change()
    assert (change.status, change.decided_by, change.requested_by) == ("applied", None, manager_user)
    assert change.result_id == str(coupon.pk) and change.reason == "sorry"


def test_splitting_coupons_does_not_get_under_the_threshold(manager_user: Any, wen: Member) -> None:
    """The threshold counts the person's own coupons of the day: two NT$300
    coupons are one NT$600 coupon."""
    three_hundred = template("NT$300 off", 30_000)
    first = coupon_issue_request(member=wen, template=three_hundred, reason="a", requester=manager_user)
    second = coupon_issue_request(member=wen, template=three_hundred, reason="b", requester=manager_user)
    assert (first.status, second.status) == ("applied", "pending")
    assert Coupon.objects.count() == 1


def test_a_percentage_coupon_has_no_upper_bound_and_waits(manager_user: Any, wen: Member) -> None:
    tenth = CouponTemplate.objects.create(name="10% off", kind="percent_off", percent_off=10)
    change = coupon_issue_request(member=wen, template=tenth, reason="regular", requester=manager_user)
    assert (change.status, change.size) == ("pending", None)
    assert not Coupon.objects.exists()


def test_unredeeming_a_large_coupon_waits_for_a_second_manager(
    client: Client, manager_user: Any, second_manager: Any, wen: Member
) -> None:
    used = Coupon.objects.create(
        template=template("NT$1,000 off", 100_000),
        member=wen,
        code="CUSED00001",
        expires_at=timezone.now() + timedelta(days=30),
        redeemed_at=timezone.now(),
        order_reference="order-1",
        discount=100_000,
    )
    client.force_login(manager_user)
    form = client.post("/admin/campaigns/coupon/", {"action": "unredeem", "_selected_action": [used.pk]})
    assert form.status_code == 200 and b"reason" in form.content
    asked = client.post(
        "/admin/campaigns/coupon/",
        {"action": "unredeem", "_selected_action": [used.pk], "apply": "1", "reason": "till error"},
        follow=True,
    )
    assert WAITING in asked.content.decode()
    used.refresh_from_db()
    assert used.redeemed_at is not None
    change = only_change()
    assert "Someone other than" in decide(client, manager_user, change)
    used.refresh_from_db()
    assert used.redeemed_at is not None

    decide(client, second_manager, change)
    used.refresh_from_db()
    assert (used.redeemed_at, used.order_reference, used.discount) == (None, "", 0)
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("applied", second_manager)


def test_an_issued_coupon_cannot_be_edited_in_the_admin(client: Client, manager_user: Any, wen: Member) -> None:
    """Otherwise a small coupon could be turned into a large one, or moved."""
    coupon = Coupon.objects.create(
        template=template("NT$100 off", 10_000),
        member=wen,
        code="CEDIT00001",
        expires_at=timezone.now() + timedelta(days=30),
    )
    big = template("NT$5,000 off", 500_000)
    client.force_login(manager_user)
    page = client.get(f"/admin/campaigns/coupon/{coupon.pk}/change/").content.decode()
    assert 'name="template"' not in page
    client.post(f"/admin/campaigns/coupon/{coupon.pk}/change/", {"template": big.pk, "member": wen.pk})
    coupon.refresh_from_db()
    assert coupon.template.amount_off == 10_000


def test_a_large_coupon_template_waits_for_a_second_manager(
    client: Client, manager_user: Any, second_manager: Any
) -> None:
    """Campaigns, rewards and birthdays issue a template's coupons with nobody
    looking, so a template is value too."""
    fields = {
        "name": "Big welcome",
        "kind": "amount_off",
        "percent_off": "0",
        "amount_off": "1,000",  # NT$1,000: the admin takes money as people write it
        "buy_quantity": "0",
        "get_quantity": "0",
        "min_spend": "0",
        "valid_days": "30",
        "per_member_limit": "0",
        "total_limit": "0",
        "is_active": "on",
        "reason": "new members",
    }
    client.force_login(manager_user)
    asked = client.post("/admin/campaigns/coupontemplate/add/", fields, follow=True)
    assert WAITING in asked.content.decode()
    assert not CouponTemplate.objects.exists()
    decide(client, second_manager, only_change())
    assert CouponTemplate.objects.get().amount_off == 100_000


# --- Top-up bonus rules ------------------------------------------------------------------


def bonus_rule_form(**fields: str) -> dict[str, str]:
    return {
        "name": "Top up 1,000 get 200",
        "min_amount": "1000",
        "bonus": "200",
        "is_active": "on",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "reason": "spring promotion",
        **fields,
    }


def test_a_bonus_rule_waits_for_a_second_manager(
    client: Client, manager_user: Any, second_manager: Any, wen: Member
) -> None:
    client.force_login(manager_user)
    asked = client.post("/admin/payments/topupbonusrule/add/", bonus_rule_form(), follow=True)
    assert WAITING in asked.content.decode()
    assert not TopUpBonusRule.objects.exists()
    assert wallet_top_up(member=wen, amount=100_000, tender="cash").top_up.bonus == 0
    change = only_change()
    assert "Someone other than" in decide(client, manager_user, change)
    assert not TopUpBonusRule.objects.exists()

    decide(client, second_manager, change)
    assert TopUpBonusRule.objects.get().bonus == 20_000
    assert wallet_top_up(member=wen, amount=100_000, tender="cash").top_up.bonus == 20_000


def test_raising_a_bonus_waits_but_switching_a_rule_off_is_at_once(client: Client, manager_user: Any) -> None:
    rule = TopUpBonusRule.objects.create(name="Top up 1,000 get 200", min_amount=100_000, bonus=20_000)
    url = f"/admin/payments/topupbonusrule/{rule.pk}/change/"
    client.force_login(manager_user)
    client.post(url, bonus_rule_form(bonus="900"))
    rule.refresh_from_db()
    assert rule.bonus == 20_000
    pending = ValueChange.objects.get(status="pending")
    assert pending.payload["pk"] == rule.pk and pending.payload["fields"]["bonus"] == 90_000

    # An incident: one manager must be able to stop a rule at once.
    client.post(url, {**bonus_rule_form(), "is_active": "", "reason": "stop it"})
    rule.refresh_from_db()
    assert not rule.is_active
    assert ValueChange.objects.filter(status="applied", decided_by=None, kind="bonus_rule").count() == 1


def test_a_rejected_change_applies_nothing(client: Client, manager_user: Any, second_manager: Any) -> None:
    client.force_login(manager_user)
    client.post("/admin/payments/topupbonusrule/add/", bonus_rule_form())
    change = only_change()
    decide(client, second_manager, change, action="reject")
    decide(client, second_manager, change)  # too late to approve it now
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("rejected", second_manager)
    assert not TopUpBonusRule.objects.exists()


# --- Points ------------------------------------------------------------------------------


def adjust(client: Client, member: Member, points: int, reason: str = "goodwill") -> str:
    response = client.post(
        "/admin/members/member/",
        {
            "action": "adjust_points",
            "_selected_action": [member.pk],
            "apply": "1",
            "points": str(points),
            "reason": reason,
        },
        follow=True,
    )
    return response.content.decode()


def test_a_large_points_adjustment_waits_for_a_second_manager(
    client: Client, manager_user: Any, second_manager: Any, wen: Member
) -> None:
    client.force_login(manager_user)
    assert WAITING in adjust(client, wen, 5_000)
    wen.refresh_from_db()
    assert wen.points_balance == 0
    change = only_change()
    assert "Someone other than" in decide(client, manager_user, change)
    wen.refresh_from_db()
    assert wen.points_balance == 0

    decide(client, second_manager, change)
    decide(client, second_manager, change)
    wen.refresh_from_db()
    assert wen.points_balance == 5_000  # once
    entry = wen.points_entries.get()
    assert (entry.points, entry.explanation, entry.actor) == (5_000, "goodwill", manager_user)
    assert wen.notices.filter(kind="points").count() == 1


def test_small_points_adjustments_apply_at_once_until_the_day_adds_up(
    client: Client, manager_user: Any, wen: Member
) -> None:
    client.force_login(manager_user)
    adjust(client, wen, 600)
    adjust(client, wen, 600)  # 1,200 today: over the 1,000 points threshold
    wen.refresh_from_db()
    assert wen.points_balance == 600
    statuses = list(ValueChange.objects.order_by("pk").values_list("status", "size", "decided_by"))
    assert statuses == [("applied", 600, None), ("pending", 600, None)]


def test_a_manager_gives_their_own_member_account_nothing_alone(
    client: Client, manager_user: Any, second_manager: Any
) -> None:
    own = member_get_or_create_for_user(user=manager_user)
    client.force_login(manager_user)
    assert WAITING in adjust(client, own, 10)  # however small
    own.refresh_from_db()
    assert own.points_balance == 0
    decide(client, second_manager, only_change())
    own.refresh_from_db()
    assert own.points_balance == 10


def test_the_member_a_change_is_for_cannot_approve_it(manager_user: Any, second_manager: Any) -> None:
    theirs = member_get_or_create_for_user(user=second_manager)
    change = points_adjust_request(member=theirs, points=5_000, reason="x", requester=manager_user)
    with pytest.raises(ApprovalRefused, match="own wallet"):
        value_change_approve(change_id=change.pk, approver=second_manager)
    theirs.refresh_from_db()
    assert theirs.points_balance == 0


def test_a_shift_manager_cannot_approve_a_value_change(manager_user: Any, shift_manager_user: Any, wen: Member) -> None:
    change = points_adjust_request(member=wen, points=5_000, reason="x", requester=manager_user)
    with pytest.raises(ApprovalRefused, match="Only a manager"):
        value_change_approve(change_id=change.pk, approver=shift_manager_user)
    wen.refresh_from_db()
    assert wen.points_balance == 0


def test_the_requester_may_withdraw_but_not_approve(manager_user: Any, wen: Member) -> None:
    change = points_adjust_request(member=wen, points=5_000, reason="x", requester=manager_user)
    with pytest.raises(ApprovalRefused):
        value_change_approve(change_id=change.pk, approver=manager_user)
    withdrawn = value_change_reject(change_id=change.pk, by=manager_user)
    assert withdrawn.status == "rejected"
    wen.refresh_from_db()
    assert wen.points_balance == 0


# --- The log -----------------------------------------------------------------------------


def test_the_database_refuses_a_self_approved_change(manager_user: Any, wen: Member) -> None:
    change = points_adjust_request(member=wen, points=5_000, reason="x", requester=manager_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ValueChange.objects.filter(pk=change.pk).update(
            status="applied", decided_by=manager_user, decided_at=timezone.now()
        )


def test_the_value_change_log_is_listed_and_read_only(
    client: Client, manager_user: Any, second_manager: Any, wen: Member
) -> None:
    points_adjust_request(member=wen, points=5_000, reason="birthday mix-up", requester=manager_user)
    points_adjust_request(member=wen, points=5, reason="a small fix", requester=manager_user)
    client.force_login(second_manager)
    listing = client.get(CHANGES, {"status__exact": "pending"}).content.decode()
    assert "birthday mix-up" in listing and "a small fix" not in listing
    assert client.get(CHANGES, {"kind__exact": "points_adjustment"}).status_code == 200
    change = ValueChange.objects.get(status="pending")
    detail = client.get(f"{CHANGES}{change.pk}/change/").content.decode()
    assert "birthday mix-up" in detail and 'name="reason"' not in detail
    assert client.get(f"{CHANGES}add/").status_code == 403


def test_a_free_item_coupon_is_worth_the_dearest_item_it_can_take(manager_user: Any, wen: Member) -> None:
    from payments.management.commands.load_menu_demo import load_menu_demo
    from payments.models import Product

    load_menu_demo()
    free_drink = CouponTemplate.objects.create(name="Free coffee", kind="free_item", scope_category="coffee")
    change = coupon_issue_request(member=wen, template=free_drink, reason="sorry", requester=manager_user)
    coffees = Product.objects.filter(category__slug="coffee", is_active=True)
    assert change.size is not None and change.size >= max(p.price for p in coffees)
    assert change.status == "applied" and Coupon.objects.filter(member=wen).count() == 1


def test_a_buy_x_get_y_coupon_has_no_upper_bound_and_waits(manager_user: Any, wen: Member) -> None:
    """It repeats for every X + Y items, so a large order takes any amount."""
    two_for_one = CouponTemplate.objects.create(name="2 for 1", kind="buy_x_get_y", buy_quantity=1, get_quantity=1)
    change = coupon_issue_request(member=wen, template=two_for_one, reason="regular", requester=manager_user)
    assert (change.status, change.size) == ("pending", None)
    assert not Coupon.objects.exists()
