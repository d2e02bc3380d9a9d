"""Order ahead at the till: the live queue of paid orders (polled by htmx,
304 while nothing changed), the steps start → ready → collected, a ticket to
print, and the store's pause. Reads through payments.selectors.ahead, every
change through payments.services.ahead."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.tz import do_timezone
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cafe_loyalty.core.activity import not_staff_activity
from cafe_loyalty.core.problems import Problem
from payments.models import Order, Store
from payments.permissions import pos_required
from payments.selectors.ahead import ahead_order_for_store, ahead_queue, ahead_queue_fingerprint
from payments.services.ahead import (
    ahead_order_advance,
    store_ahead_pause,
    store_ahead_resume,
    store_ahead_state,
    store_zone,
)
from payments.views.till_common import till_store, typed

# The barista's next step from each step, and its button's label.
NEXT_STEP = {
    Order.PrepStatus.RECEIVED: Order.PrepStatus.PREPARING,
    Order.PrepStatus.PREPARING: Order.PrepStatus.READY,
    Order.PrepStatus.READY: Order.PrepStatus.COLLECTED,
}
PAUSE_MINUTES = (15, 30, 60)


@pos_required
def ahead(request: HttpRequest) -> HttpResponse:
    try:
        store = till_store(request)
    except Problem as exc:
        return render(request, "pos/message.html", {"message": exc.detail})
    context = {"store": store, "pause_minutes": PAUSE_MINUTES, **_pause_context(store), **_queue_context(store)}
    return render(request, "pos/ahead.html", context)


@not_staff_activity
@pos_required
def queue(request: HttpRequest) -> HttpResponse:
    """The queue partial, polled every 2 s: 304 Not Modified while the queue
    is as the till last saw it (its ETag), so most polls cost one query."""
    store = till_store(request)
    etag = _queue_etag(store)
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        unchanged["ETag"] = etag
        return unchanged
    return _render_queue(request, store, etag=etag)


@not_staff_activity
@pos_required
def badge(request: HttpRequest) -> HttpResponse:
    """The count of orders ahead waiting to be started, beside the tab's name
    on every till page (polled like the queue)."""
    store = till_store(request)
    fingerprint = ahead_queue_fingerprint(store=store)
    etag = _queue_etag(store, fingerprint)
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        unchanged["ETag"] = etag
        return unchanged
    waiting = fingerprint.count(f":{Order.PrepStatus.RECEIVED.value}")  # "pk:step;pk:step"
    response = render(request, "pos/ahead.html#badge", {"waiting": waiting})
    response["ETag"] = etag
    return response


@pos_required
@require_POST
def advance(request: HttpRequest, order_id: int) -> HttpResponse:
    """Start, Ready or Collected on a card. A step that is no longer possible
    (the member cancelled, another till moved it) says why above the queue."""
    store = till_store(request)
    order = ahead_order_for_store(store=store, order_id=order_id)
    if order is None:
        raise Http404
    try:
        ahead_order_advance(order=order, status=request.POST.get("status", ""))
    except Problem as exc:
        return _render_queue(request, store, error=exc.detail)
    return _render_queue(request, store)


@pos_required
def ticket(request: HttpRequest, order_id: int) -> HttpResponse:
    """The kitchen ticket, printed through the browser's dialog (ticket.css)."""
    store = till_store(request)
    order = ahead_order_for_store(store=store, order_id=order_id)
    if order is None:
        raise Http404
    _times(order, store_zone(store))
    first_name = order.member.display_name.split()[0] if order.member and order.member.display_name else ""
    return render(request, "pos/ahead_ticket.html", {"order": order, "store": store, "first_name": first_name})


@pos_required
@require_POST
def pause(request: HttpRequest) -> HttpResponse:
    """Pause order ahead for 15, 30 or 60 minutes or until a time today (the
    store's clock); it resumes by itself then."""
    store = till_store(request)
    now = timezone.now()
    until = _pause_until(request, store, now)
    if until is None:
        return _render_pause(request, store, error=_("Choose for how long, or until when."))
    try:
        store_ahead_pause(store=store, until=until, reason=typed(request, "reason", limit=120), now=now)
    except Problem as exc:
        return _render_pause(request, store, error=exc.detail)
    return _render_pause(request, store)


@pos_required
@require_POST
def resume(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    store_ahead_resume(store=store)
    return _render_pause(request, store)


def _pause_until(request: HttpRequest, store: Store, now: datetime) -> datetime | None:
    minutes = request.POST.get("minutes", "")
    if minutes.isdigit() and int(minutes) in PAUSE_MINUTES:
        return now + timedelta(minutes=int(minutes))
    try:
        at = time.fromisoformat(typed(request, "until", limit=5))
    except ValueError:
        return None
    zone = store_zone(store)
    return datetime.combine(now.astimezone(zone).date(), at, zone)


def _queue_etag(store: Store, fingerprint: str | None = None) -> str:
    # The language is part of what the partial says; the rest is the queue.
    if fingerprint is None:
        fingerprint = ahead_queue_fingerprint(store=store)
    seen = f"{get_language()}|{store.pk}|{fingerprint}"
    return quote_etag(hashlib.sha256(seen.encode()).hexdigest()[:24])


def _in_store_clock(value: datetime | None, zone: Any) -> datetime | None:
    """The time on the store's clock, and kept there: the template's `time`
    filter turns a plain aware datetime back into the server's TIME_ZONE
    (`do_timezone` is the `|timezone` filter, which marks it as converted)."""
    return do_timezone(value, zone) if value is not None else None


def _times(order: Order, zone: Any) -> None:
    """Pickup and estimate in the store's clock, for the card and the ticket."""
    order.pickup_local = _in_store_clock(order.pickup_at, zone)  # type: ignore[attr-defined]
    order.estimate_local = _in_store_clock(order.ready_estimate, zone)  # type: ignore[attr-defined]
    order.paid_local = _in_store_clock(order.paid_at or order.created_at, zone)  # type: ignore[attr-defined]


def _queue_context(store: Store, *, error: str = "", etag: str = "") -> dict[str, Any]:
    orders = ahead_queue(store=store)
    zone = store_zone(store)
    for order in orders:
        _times(order, zone)
        order.next_step = NEXT_STEP.get(Order.PrepStatus(order.prep_status or Order.PrepStatus.RECEIVED))  # type: ignore[attr-defined]
    return {"orders": orders, "queue_error": error, "queue_etag": etag or _queue_etag(store)}


def _render_queue(request: HttpRequest, store: Store, *, etag: str = "", error: str = "") -> HttpResponse:
    context = _queue_context(store, error=error, etag=etag)
    response = render(request, "pos/ahead.html#queue", {"store": store, **context})
    response["ETag"] = context["queue_etag"]
    return response


def _pause_context(store: Store, *, error: str = "") -> dict[str, Any]:
    state = store_ahead_state(store=Store.objects.prefetch_related("hours").get(pk=store.pk), now=timezone.now())
    until = _in_store_clock(state.paused_until, store_zone(store))
    return {"ahead_state": state, "paused_until_local": until, "pause_error": error}


def _render_pause(request: HttpRequest, store: Store, *, error: str = "") -> HttpResponse:
    context = {"store": store, "pause_minutes": PAUSE_MINUTES, **_pause_context(store, error=error)}
    return render(request, "pos/ahead.html#pause", context)
