from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from cafe_loyalty.core.clients import client_ip
from cafe_loyalty.core.roles import is_staff_member


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
