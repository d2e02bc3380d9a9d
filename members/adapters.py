from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from cafe_loyalty.core.clients import client_ip
from cafe_loyalty.core.programme import programme_name, programme_site
from cafe_loyalty.core.roles import is_staff_member
from members.models import Member


def user_display(user: Any) -> str:
    """How allauth names a person ("Signed in as …", emails): the name they
    gave us, never the username made from their email's local part."""
    name = Member.objects.filter(user_id=user.pk).values_list("display_name", flat=True).first() if user.pk else None
    return str(name or user.first_name or user.email or user.get_username())


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Staff land on their tool; members on their card.
        user: Any = request.user
        if is_staff_member(user):
            if user.is_staff and not user.has_perm("payments.use_pos"):
                return reverse("admin:index")
            return reverse("pos:home")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits key on this: the same reading as the rest of the
        # app (CAFE_TRUSTED_PROXIES), never a spoofable X-Forwarded-For entry.
        return client_ip(request)

    def format_email_subject(self, subject: str) -> str:
        # allauth's default prefix is "[<request host>] ": 127.0.0.1:8000 on a
        # developer's machine, an internal host name behind a proxy.
        return f"[{programme_name()}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": programme_site()})
