"""Background work for members: emailing notices the member opted into."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from members.models import Consent, Notice, PointsPolicy
from members.selectors import consent_granted

# Which consent purpose lets a notice of each kind go out by email.
EMAIL_PURPOSE = {
    Notice.Kind.WALLET: Consent.Purpose.ACTIVITY,
    Notice.Kind.POINTS: Consent.Purpose.ACTIVITY,
    Notice.Kind.TIER: Consent.Purpose.ACTIVITY,
    Notice.Kind.SECURITY: Consent.Purpose.ACTIVITY,
    Notice.Kind.OFFER: Consent.Purpose.MARKETING,
    Notice.Kind.FEEDBACK: Consent.Purpose.FEEDBACK,
}


def quiet_hours_end(now: datetime, policy: PointsPolicy) -> datetime | None:
    """If `now` falls in the programme's quiet hours, when they end."""
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start is None or end is None:
        return None
    local = timezone.localtime(now)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return end_today if end_today > local else end_today + timedelta(days=1)


@task()
def send_notice_email(notice_id: int) -> None:
    notice = Notice.objects.select_related("member").filter(pk=notice_id, emailed_at__isnull=True).first()
    if notice is None or not notice.member.email:
        return
    # Checked again at sending time: an email held for quiet hours must not go
    # out if the member withdrew their consent meanwhile.
    purpose = EMAIL_PURPOSE.get(Notice.Kind(notice.kind))
    if purpose is None or not consent_granted(member=notice.member, channel="email", purpose=purpose):
        return
    send_mail(
        subject=notice.title, message=f"{notice.body}\n".lstrip(), from_email=None, recipient_list=[notice.member.email]
    )
    Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
