"""Project-level pages: the portal home, health check, error pages."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularSwaggerSplitView

from cafe_loyalty.core.roles import is_staff_member
from cafe_loyalty.middleware import content_security_policy
from campaigns.perks import member_perks
from members.selectors import member_for_user, tier_progress
from members.services import member_get_or_create_for_user
from payments.recommendations.shown import recommendations_for_member
from payments.selectors.wallet import member_portal_summary
from payments.views.ahead_menu import last_ahead_store

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "portal/welcome.html")
    member = member_for_user(user=request.user)
    if member is not None:
        member = type(member).objects.select_related("tier").get(pk=member.pk)
    if member is None:
        if is_staff_member(request.user):
            return redirect("pos:home")
        member = member_get_or_create_for_user(user=request.user)
    if member.large_and_simple:
        # Large and simple: the pay code is the first page.
        return redirect("wallet:pay")
    order_store = last_ahead_store(request)
    context = {
        "member": member,
        "summary": member_portal_summary(member=member),
        "for_you": recommendations_for_member(member=member, store=order_store),
        "order_store": order_store,
        "tier_name": member.tier.name if member.tier else None,
        "progress": tier_progress(member=member, now=timezone.now()),
        "perks": member_perks(member=member, at=timezone.now()),
    }
    return render(request, "portal/home.html", context)


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
    return JsonResponse({"status": "ok", "database": "ok", "db_ms": round((time.perf_counter() - started) * 1000, 2)})


def _api_problem(request: HttpRequest, status: int, code: str, title: str) -> JsonResponse | None:
    """Outside DRF views (unknown URL, crash) the API still answers problem+json."""
    if not request.path.startswith("/api/"):
        return None
    body = {
        "type": f"https://cafe.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": title,
        "code": code,
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _api_problem(request, 403, "permission_denied", "Permission denied") or render(
        request, "errors/403.html", status=403
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _api_problem(request, 404, "not_found", "Not found") or render(request, "errors/404.html", status=404)


@csrf_exempt  # no route: nothing to protect, and a POST must get the 404, not a CSRF page
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any path under /api/ that no route takes, whatever the method."""
    return _api_problem(request, 404, "not_found", "Not found") or error_404(request)


def error_500(request: HttpRequest) -> HttpResponse:
    problem = _api_problem(request, 500, "server_error", "Server error")
    if problem is not None:
        return problem
    # No context processors or database here: the 500 page must render even
    # when those are what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through allauth, so staff get MFA and rate limits."""
    next_url = request.GET.get("next", "/admin/")
    if request.user.is_authenticated and not request.user.is_staff:
        return render(request, "errors/403.html", status=403)
    return redirect(f"/accounts/login/?next={next_url}" if next_url.startswith("/") else "/accounts/login/")


_swagger_ui = SpectacularSwaggerSplitView.as_view(url_name="api-schema")


def api_docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI for the API. Its script and styles are our own static files
    (drf-spectacular-sidecar: no CDN, so no third party can change the code
    running on this origin) and its initialiser comes from this same URL
    (`?script`), never inline. Swagger UI styles itself with inline style
    attributes and a <style> block, so this page alone allows inline styles:
    it shows the public schema and has no forms of ours."""
    response = _swagger_ui(request)
    policy = settings.CAFE_CONTENT_SECURITY_POLICY
    response.headers["Content-Security-Policy"] = content_security_policy(
        {**policy, "style-src": [*policy["style-src"], "'unsafe-inline'"]}
    )
    return response
