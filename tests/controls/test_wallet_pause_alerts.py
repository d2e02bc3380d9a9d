"""Money controls, 11a: high-severity risk alerts reach the managers on duty
at once by email (after commit, through the task queue), low-severity ones
wait in the admin; the admin's front page lists open alerts, high severity
first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from members.selectors import points_problems
from members.services import member_create
from payments.models import ProgrammeSettings, RiskAlert, Store, StoreStaff
from payments.selectors.ledger import ledger_problems
from payments.services.pauses import wallet_payments_pause
from payments.services.risk import failed_code_record, risk_alert_raise
from payments.services.terminals import terminal_create
from payments.tasks import risk_alert_email_managers
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model: Any, manager_user: Any, shift_manager_user: Any, barista_user: Any) -> dict[str, Any]:
    """Who is who: two managers who should hear, and people who should not."""
    daan = Store.objects.create(name="Da'an", slug="daan")
    xinyi = Store.objects.create(name="Xinyi", slug="xinyi")
    StoreStaff.objects.create(user=shift_manager_user, store=daan, role="Shift manager")
    StoreStaff.objects.create(user=barista_user, store=daan, role="Barista")
    other_shift = make_staff(django_user_model, "other-shift@example.com", "Shift manager")
    StoreStaff.objects.create(user=other_shift, store=xinyi, role="Shift manager")
    second_manager = make_staff(django_user_model, "second@example.com", "Manager")
    unverified = make_staff(django_user_model, "unverified@example.com", "Manager")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    departed = make_staff(django_user_model, "departed@example.com", "Manager")
    departed.is_active = False
    departed.save()
    return {"daan": daan, "xinyi": xinyi, "managers": {manager_user.email, second_manager.email}}


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_high_severity_alert_emails_each_manager_once_after_commit(
    staff: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    member = member_create(user=None, display_name="Eve", email="eve@example.com")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        risk_alert_raise(kind=RiskAlert.Kind.UNUSUAL_SPEND, member=member, detail="Spent NT$9,000 today")
    assert mail.outbox == []  # nothing leaves before the alert's transaction commits
    assert len(pending) == 1
    pending[0]()

    assert recipients() == sorted(staff["managers"])
    assert all(len(message.to) == 1 for message in mail.outbox)  # managers do not see each other's addresses
    message = mail.outbox[0]
    assert message.subject == "Risk alert: Unusual spending for this member"
    alert = RiskAlert.objects.get()
    assert "Spent NT$9,000 today" in message.body and member.card_number in message.body
    assert f"/admin/payments/riskalert/{alert.pk}/change/" in message.body
    assert alert.notified_at is not None

    risk_alert_email_managers.call(alert.pk)  # a second run of the task sends nothing more
    assert len(mail.outbox) == 2


def test_an_alert_at_a_store_also_emails_that_stores_shift_managers(
    staff: dict[str, Any], shift_manager_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    terminal, _ = terminal_create(store=staff["daan"], name="Till 1")
    member = member_create(user=None, display_name="Fay", email="fay@example.com")
    ProgrammeSettings.objects.filter(pk=ProgrammeSettings.current().pk).update(failed_code_alert_threshold=3)
    ProgrammeSettings.forget_cached()
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(3):  # the third refused code crosses the threshold
            failed_code_record(member=member, terminal=terminal, reason="payment_code_used")
    alert = RiskAlert.objects.get(kind=RiskAlert.Kind.FAILED_CODES)
    assert alert.store == staff["daan"]
    assert recipients() == sorted({*staff["managers"], shift_manager_user.email})


def test_a_low_severity_alert_emails_no_one(staff: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    member = member_create(user=None, display_name="Gus", email="gus@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        risk_alert_raise(kind=RiskAlert.Kind.VELOCITY, member=member, detail="Too many payments")
        risk_alert_raise(kind=RiskAlert.Kind.LARGE_REFUND, member=member, detail="Refund NT$900")
    assert RiskAlert.objects.count() == 2
    assert mail.outbox == []
    assert ledger_problems() == [] and points_problems() == []


def test_pausing_wallet_payments_tells_the_other_managers_at_once(
    staff: dict[str, Any], manager_user: Any, shift_manager_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        wallet_payments_pause(store=staff["daan"], reason="Skimmer found on till 2", by=manager_user)
    assert recipients() == sorted({*staff["managers"], shift_manager_user.email})
    assert "Wallet payments paused at Da'an by manager@example.com: Skimmer found on till 2" in mail.outbox[0].body


def test_the_admin_front_page_lists_open_alerts_high_severity_first(
    client: Client, manager_user: Any, staff: dict[str, Any]
) -> None:
    now = timezone.now()
    member = member_create(user=None, display_name="Hal", email="hal@example.com")

    def alert(kind: str, minutes_ago: int, detail: str, **extra: Any) -> RiskAlert:
        return RiskAlert.objects.create(
            kind=kind, member=member, detail=detail, created_at=now - timedelta(minutes=minutes_ago), **extra
        )

    alert(RiskAlert.Kind.VELOCITY, 1, "low-newest")
    alert(RiskAlert.Kind.FAILED_CODES, 30, "high-older")
    alert(RiskAlert.Kind.UNUSUAL_SPEND, 10, "high-newer")
    alert(RiskAlert.Kind.DAILY_LIMIT, 60, "low-oldest")
    alert(RiskAlert.Kind.UNUSUAL_SPEND, 0, "high-resolved", resolved_at=now, resolved_by=manager_user)
    wallet_payments_pause(store=None, reason="Incident 42", by=manager_user)  # itself a high alert, newest

    client.force_login(manager_user)
    page = client.get("/admin/").content.decode()
    panel = page[page.index('data-testid="attention-panel"') :]
    assert panel.index('data-testid="wallet-pause-open"') < panel.index('data-testid="open-alert"')
    assert "Incident 42" in panel
    order = [
        panel.index(text) for text in ("Wallet payments paused at all stores", "high-newer", "high-older", "low-newest")
    ]
    assert order == sorted(order)
    assert panel.index("low-newest") < panel.index("low-oldest")
    assert "high-resolved" not in panel
    # Above the rest of the front page: the day's figures come after it.
    assert page.index('data-testid="attention-panel"') < page.index('id="today-heading"')
