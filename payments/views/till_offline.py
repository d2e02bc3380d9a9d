"""What the till needs to keep selling offline: its service worker (served
under /pos/ so its scope covers the till), its web app manifest, and the
menu as JSON for the offline cart (static/js/till-offline.js).

The worker's URL carries a version made from the deploy: the static files'
URLs (hashed by the manifest storage in production) and the worker's own
source. A deploy that changes either changes the URL, the browser installs
the new worker, and it drops the caches of the old one."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from cafe_loyalty.core.money import format_money
from payments.models import ModifierOption, Product
from payments.permissions import pos_required
from payments.selectors.menu import options_as_added, till_menu
from payments.selectors.shifts import shift_current
from payments.views.till_common import option_group_rank, till_store

# The files the till's pages load: kept by the worker, so a till reloaded
# with no network still has its look and its scripts.
TILL_STATIC = (
    "css/app.css",
    "css/pos.css",
    "vendor/htmx-2.0.11.min.js",
    "js/app.js",
    "js/pos.js",
    "js/ahead_queue.js",
    "js/offline-code.js",
    "js/till-offline-cart.js",
    "js/till-offline-store.js",
    "js/till-offline.js",
    "icons/cup.svg",
    "icons/till-192.png",
    "icons/till-512.png",
)
WORKER_TEMPLATE = "pos/till-sw.js"


@lru_cache(maxsize=1)
def till_worker_version() -> str:
    """12 hex digits that change with every deploy that changes the till's files."""
    digest = hashlib.sha256()
    for name in TILL_STATIC:
        digest.update(static(name).encode())
    digest.update(Path(settings.BASE_DIR, "templates", WORKER_TEMPLATE).read_bytes())
    return digest.hexdigest()[:12]


def till_worker_url() -> str:
    return f"{reverse('pos:service_worker')}?v={till_worker_version()}"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker script. Not behind the staff check: the browser fetches it
    on its own to look for updates, and it holds no data, only URLs."""
    context = {
        "version_json": json.dumps(till_worker_version()),
        "static_urls_json": json.dumps([static(name) for name in TILL_STATIC]),
        "shell_url_json": json.dumps(reverse("pos:home")),
        "kept_json": json.dumps([reverse("pos:offline_menu"), reverse("pos:offline_keys")]),
    }
    response = render(request, WORKER_TEMPLATE, context, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # the browser asks each time whether the till changed
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    return render(request, "pos/manifest.webmanifest", content_type="application/manifest+json")


@pos_required
@require_GET
def menu(request: HttpRequest) -> HttpResponse:
    """The till's menu with the prices it shows, for the offline cart: each
    product at its price with its default options (what a tap adds), and its
    option groups as the online till shows them (size first), each option
    with its price, so the offline cart prices a Large oat latte as the
    online till does, and whether it is sold out here (a tap skips a sold-out
    default, as online; see options_as_added). Also the open shift (the
    queued sales name it) and a CSRF token for sending them. Three queries,
    like the till page."""
    store = till_store(request)
    categories, _quick = till_menu(store=store)
    shift = shift_current(store=store)
    answer = {
        "store": store.name,
        "shift": shift.pk if shift else None,
        "csrf": get_token(request),
        "categories": [
            {
                "name": category.name,
                "products": [
                    {
                        "sku": product.sku,
                        "name": product.name,
                        "price": product.till_price,  # type: ignore[attr-defined]
                        "price_label": format_money(product.till_price),  # type: ignore[attr-defined]
                        "base_price": product.price,
                        "modifiers": [m.pk for m in options_as_added(product.modifiers.all())],
                        "groups": _option_groups(product),
                    }
                    for product in category.products.all()
                ],
            }
            for category in categories
            if category.products.all()
        ],
    }
    response = JsonResponse(answer)
    response["Cache-Control"] = "no-store"  # the service worker keeps its own copy
    return response


def _option_groups(product: Product) -> list[dict[str, Any]]:
    """The product's options by group, in the online till's order."""
    groups: dict[str, list[ModifierOption]] = {}
    for option in sorted(product.modifiers.all(), key=option_group_rank):  # stable: positions kept
        groups.setdefault(option.group, []).append(option)
    return [
        {
            "name": name,
            # The group's English name as a slug, whatever the till's language (the tests find it by it).
            "key": slugify(getattr(options[0], "group_en", None) or name),
            "options": [
                {
                    "id": option.pk,
                    "name": option.name,
                    "price": option.price,
                    "price_label": format_money(option.price) if option.price else "",
                    "default": option.is_default,
                    # As when the menu was kept: the offline cart disables it.
                    "sold_out": option.sold_out_here,  # type: ignore[attr-defined]
                }
                for option in options
            ],
        }
        for name, options in groups.items()
    ]
