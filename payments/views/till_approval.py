"""A shift manager's approval typed into a till form (large refunds, cash-outs)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from payments.views.till_common import typed

# Wrong approver passwords a till login may try before it must wait: the
# approval form must not become a way to guess a manager's password.

APPROVER_TRIES, APPROVER_WINDOW_SECONDS = 5, 15 * 60


def approver_from_form(request: HttpRequest) -> tuple[Any, str]:
    """(approver, error): the shift manager who typed their email and password
    into the form, or the signed-in user if they may approve themselves."""
    if approver_email := typed(request, "approver_email", limit=254):
        failures_key = f"pos:approver-failures:{request.user.pk}"
        if cache.get(failures_key, 0) >= APPROVER_TRIES:
            return None, _("Too many wrong approver logins. Wait 15 minutes, or ask a manager.")
        approver = authenticate(request, username=approver_email, password=request.POST.get("approver_password", ""))
        if approver is None:
            if not cache.add(failures_key, 1, APPROVER_WINDOW_SECONDS):
                try:
                    cache.incr(failures_key)
                except ValueError:  # expired in between
                    cache.set(failures_key, 1, APPROVER_WINDOW_SECONDS)
            return None, _("The approver's email or password is wrong.")
        return approver, ""
    return (request.user if request.user.has_perm("payments.approve_refund") else None), ""
