"""A shift manager's approval typed into a till form (large refunds, cash-outs).

The approver is a second person who signs in for this one action: their
email, password and a code from their authenticator app (or a recovery code),
checked by allauth's own MFA verification. The till's own session never
approves (four eyes). Who may approve is the service's rule
(payments.services.approvals); this module only proves who is typing."""

from __future__ import annotations

import hashlib
from typing import Any

from allauth.mfa.base.forms import BaseAuthenticateForm
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cafe_loyalty.core.roles import user_has_mfa
from payments.views.till_common import typed

# Wrong tries against one approver account before it must wait, counted in the
# shared cache (every worker and till sees the same count): the approval form
# must not become a way to guess a manager's password or code.
APPROVER_TRIES, APPROVER_WINDOW_SECONDS = 5, 15 * 60


def _failures_key(email: str) -> str:
    # Hashed: whatever was typed becomes a short, safe cache key.
    return "pos:approver-failures:" + hashlib.sha256(email.lower().encode()).hexdigest()


def _count_failure(email: str) -> None:
    key = _failures_key(email)
    if not cache.add(key, 1, APPROVER_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, APPROVER_WINDOW_SECONDS)


def approver_from_form(request: HttpRequest) -> tuple[Any, str]:
    """(approver, error). No approver typed: (None, ""), and the service asks
    for one if the action needs it."""
    email = typed(request, "approver_email", limit=254)
    if not email:
        return None, ""
    if cache.get(_failures_key(email), 0) >= APPROVER_TRIES:
        return None, _("Too many wrong tries for this approver. Wait 15 minutes, or ask another manager.")
    approver = authenticate(request, username=email, password=request.POST.get("approver_password", ""))
    if approver is None:
        _count_failure(email)
        return None, _("The approver's email or password is wrong.")
    if not user_has_mfa(approver):
        return None, _("The approver must set up two-factor sign-in before approving.")
    code = typed(request, "approver_code", limit=64)
    if not BaseAuthenticateForm(data={"code": code}, user=approver).is_valid():
        _count_failure(email)
        return None, _("The approver's authenticator code is wrong.")
    cache.delete(_failures_key(email))
    return approver, ""
