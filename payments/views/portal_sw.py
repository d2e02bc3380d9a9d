"""The Pay page's service worker (issue 18): with no network the member can
still open the Pay page and show an offline code.

It is served from /pay/sw.js so its scope is /pay/ (the Pay page and nothing
else of the site). Its version is a hash of its own text and of the static
files it keeps, so a deploy that changes any of them installs a new worker
and drops the old files; the script itself is never cached by HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.http import require_GET

TEMPLATE = "payments/pay_sw.js"
# What the Pay page loads (base.html and portal_pay.html): kept so that it
# works offline. A file added to the page must be added here too.
ASSETS = (
    "css/app.css",
    "icons/cup.svg",
    "vendor/htmx-2.0.11.min.js",
    "js/app.js",
    "js/pay.js",
    "js/offline_pay.js",
    "vendor/qrcodegen-1.4.0.js",
)


def service_worker_version(script: str) -> str:
    """A hash of the worker's own text (rendered without its version) and of
    the files it keeps."""
    digest = hashlib.sha256(script.encode())
    for asset in ASSETS:
        found = finders.find(asset)
        digest.update(asset.encode())
        digest.update(Path(str(found)).read_bytes() if found else b"-")
    return digest.hexdigest()[:16]


@login_required  # for members only; signed out, the browser keeps the worker it has
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    context = {"assets": [static(asset) for asset in ASSETS], "version": ""}
    context["version"] = service_worker_version(render_to_string(TEMPLATE, context))
    response = HttpResponse(render_to_string(TEMPLATE, context), content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on each visit; never from an HTTP cache.
    response["Cache-Control"] = "no-cache"
    return response
