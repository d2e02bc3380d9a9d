"""Background work of payments (django-tasks): telling managers at once of a
high-severity risk alert."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from payments.models import RiskAlert
from payments.selectors.risk import risk_alert_recipients


@task()
def risk_alert_email_managers(alert_id: int) -> int:
    """Email one message to each manager on duty (see risk_alert_recipients)
    about a high-severity alert, once: enqueued after the alert's transaction
    committed, and marked sent so a second run sends nothing. Returns how many
    were sent."""
    alert = (
        RiskAlert.objects.select_related("member", "terminal__store", "store")
        .filter(pk=alert_id, notified_at__isnull=True)
        .first()
    )
    if alert is None or not alert.is_high_severity:
        return 0
    recipients = risk_alert_recipients(alert=alert)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _alert_email(alert)
    messages = [EmailMessage(subject=subject, body=body, to=[email]) for email in recipients]
    sent = get_connection().send_messages(messages) if messages else 0
    RiskAlert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    return int(sent or 0)


def _alert_email(alert: RiskAlert) -> tuple[str, str]:
    store = alert.store or (alert.terminal.store if alert.terminal else None)
    subject = _("Risk alert: %(kind)s") % {"kind": alert.get_kind_display()}
    lines = [
        str(alert.detail),
        "",
        _("When: %(at)s") % {"at": timezone.localtime(alert.created_at).strftime("%Y-%m-%d %H:%M")},
    ]
    if alert.member is not None:
        lines.append(_("Member: %(card)s") % {"card": alert.member.card_number})
    if store is not None:
        lines.append(_("Store: %(store)s") % {"store": store.name})
    if alert.terminal is not None:
        lines.append(_("Terminal: %(terminal)s") % {"terminal": alert.terminal.name})
    link = settings.CAFE_SITE_URL.rstrip("/") + reverse("admin:payments_riskalert_change", args=[alert.pk])
    lines += ["", _("Review it in the admin: %(link)s") % {"link": link}]
    return subject, "\n".join(lines) + "\n"
