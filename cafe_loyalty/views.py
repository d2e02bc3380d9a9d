"""Project-level pages: the portal home, health check, error pages."""

from __future__ import annotations

import logging
import time

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cafe_loyalty.roles import is_staff_member
from members.selectors import member_for_user
from members.services import member_get_or_create_for_user
from payments.selectors import member_portal_summary

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "portal/welcome.html")
    member = member_for_user(user=request.user)
    if member is None:
        if is_staff_member(request.user):
            return redirect("pos:home")
        member = member_get_or_create_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "portal/home.html", {"member": member, "summary": member_portal_summary(member=member)})


@login_required
def more(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/more.html", {"member": member_for_user(user=request.user)})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        log.error("healthz database check failed", extra={"error": str(exc)})
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse(
        {"status": "ok", "database": "ok", "db_ms": round((time.perf_counter() - started) * 1000, 2)}
    )


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through allauth, so staff get MFA and rate limits."""
    next_url = request.GET.get("next", "/admin/")
    if request.user.is_authenticated and not request.user.is_staff:
        return render(request, "errors/403.html", status=403)
    return redirect(f"/accounts/login/?next={next_url}" if next_url.startswith("/") else "/accounts/login/")
