"""The Pay page's "Pay offline on this phone" endpoints (JSON, for the page's
script): status, enable (after allauth's reauthentication) and disable.
The till's list of the programme's public keys lives here too.

Enable: POST {"public_key": SPKI base64 from WebCrypto exportKey("spki"),
"allowance": minor units (optional, default NT$300)} with the CSRF header ->
201 {"certificate": base64url (formats.py), "certificate_id", "allowance",
"expires_at", "kid"}; 403 {"code": "reauthentication_required",
"reauthenticate_url"} until the member has confirmed it is them; 422 with
the refusal's code otherwise. Disable: POST -> 200 {"returned"}."""

from __future__ import annotations

import json
from typing import Any

from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cafe_loyalty.core.problems import Problem
from members.services import member_get_or_create_for_user
from payments.models import ProgrammeSettings
from payments.permissions import pos_required
from payments.selectors.offline import offline_status
from payments.services.offline.holds import DEFAULT_ALLOWANCE, offline_disable, offline_enable
from payments.services.offline.keys import programme_public_keys


def _problem(exc: Problem) -> JsonResponse:
    return JsonResponse({"code": exc.code, "detail": str(exc.detail)}, status=exc.status)


@login_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    cap = ProgrammeSettings.current().offline_allowance_cap
    answer: dict[str, Any] = {"cap": cap, "default_allowance": min(DEFAULT_ALLOWANCE, cap)}
    answer.update(offline_status(member=member, now=timezone.now()))
    return JsonResponse(answer)


@login_required
@require_POST
def enable(request: HttpRequest) -> HttpResponse:
    if is_reauthentication_required(request, app=""):
        return JsonResponse(
            {
                "code": "reauthentication_required",
                "detail": _("Confirm it is you, then turn on paying offline."),
                "reauthenticate_url": reverse("account_reauthenticate") + "?next=" + reverse("wallet:pay"),
            },
            status=403,  # as the API's reauthentication_required (README)
        )
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("public_key"), str):
        return JsonResponse({"code": "offline_setup_invalid", "detail": _("Send the phone's public key.")}, status=422)
    allowance = body.get("allowance")
    if allowance is not None and (isinstance(allowance, bool) or not isinstance(allowance, int)):
        return JsonResponse({"code": "offline_setup_invalid", "detail": _("Enter a whole amount.")}, status=422)
    member = member_get_or_create_for_user(user=request.user)
    try:
        issued = offline_enable(
            member=member, device_public_key=body["public_key"], allowance=allowance, reauthenticated=True
        )
    except Problem as exc:
        return _problem(exc)
    certificate = issued.certificate
    return JsonResponse(
        {
            "certificate": issued.text,
            "certificate_id": certificate.pk,
            "allowance": certificate.allowance,
            "expires_at": certificate.expires_at.isoformat(),
            "kid": certificate.kid,
        },
        status=201,
    )


@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    returned = offline_disable(member=member_get_or_create_for_user(user=request.user))
    return JsonResponse({"returned": returned})


@pos_required
@require_GET
def public_keys(request: HttpRequest) -> HttpResponse:
    """The programme's public keys for the till to cache (offline checks)."""
    return JsonResponse({"keys": programme_public_keys(now=timezone.now())})
