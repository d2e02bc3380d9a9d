"""An offline-code tender is made only by the sync: the till's tender service
refuses the kind (it would otherwise fall through to another tender's path)."""

from __future__ import annotations

from typing import Any

import pytest

from payments.models import Product, Tender
from payments.services.orders import TillError, order_add_product, order_add_tender, order_open


def test_the_till_cannot_take_an_offline_wallet_tender(pos_till: tuple[Any, Any], barista_user: Any) -> None:
    _client, store = pos_till
    order = order_open(store=store, barista=barista_user)
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    with pytest.raises(TillError):
        order_add_tender(order=order, kind="offline_wallet", idempotency_key="k-offline", actor=barista_user)
    assert not Tender.objects.exists()
