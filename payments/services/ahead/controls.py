"""What the baristas and managers set for order ahead at a store: a pause
(busy, short of staff) that ends by itself, and sold-out toggles that the
portal and the API see at once (orders are checked against them when placed)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import ModifierOption, Product, Store
from payments.services.ahead.errors import PickupInvalid


def store_ahead_pause(*, store: Store, until: datetime, reason: str = "", now: datetime | None = None) -> Store:
    """Pause order ahead at the store until `until` (it resumes by itself)."""
    now = now or timezone.now()
    if until <= now:
        raise PickupInvalid(_("Choose when order ahead resumes: a time from now on."))
    Store.objects.filter(pk=store.pk).update(ahead_paused_until=until, ahead_pause_reason=reason.strip()[:120])
    store.refresh_from_db(fields=["ahead_paused_until", "ahead_pause_reason"])
    return store


def store_ahead_resume(*, store: Store) -> Store:
    Store.objects.filter(pk=store.pk).update(ahead_paused_until=None, ahead_pause_reason="")
    store.refresh_from_db(fields=["ahead_paused_until", "ahead_pause_reason"])
    return store


def product_sold_out_set(*, product: Product, store: Store, sold_out: bool) -> None:
    if sold_out:
        product.unavailable_at.add(store)
    else:
        product.unavailable_at.remove(store)


def modifier_sold_out_set(*, option: ModifierOption, store: Store, sold_out: bool) -> None:
    if sold_out:
        option.unavailable_at.add(store)
    else:
        option.unavailable_at.remove(store)
