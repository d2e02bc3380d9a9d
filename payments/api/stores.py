"""Public reads for ordering ahead: the stores and a store's menu. No
credentials; cacheable for a short while (sold-out toggles show within it)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.ahead_output import MenuOutput, StoreOutput
from payments.api.common import JsonAPIView
from payments.api.schema import api_operation
from payments.authentication import MemberRateThrottle
from payments.models import Store
from payments.selectors.ahead import ahead_menu, store_for_ordering, stores_for_ordering
from payments.services.ahead import OPEN, ahead_ready_estimate, store_ahead_state

CACHE_CONTROL = "public, max-age=30"


# Public: no credentials taken, none needed (a comment, not a docstring: the
# schema would show it as every operation's description).
class PublicAPIView(JsonAPIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [MemberRateThrottle]  # by client address when no one is signed in


def store_body(store: Store, now: Any) -> dict[str, Any]:
    state = store_ahead_state(store=store, now=now)
    return {
        "slug": store.slug,
        "name": store.name,
        "address": store.address,
        "time_zone": store.time_zone,
        "opening_hours": store.opening_hours,
        "hours": list(store.hours.all()),
        "order_ahead": {
            "state": state.state,
            "reason": state.reason,
            "paused_until": state.paused_until,
            "closes_at": state.closes_at,
            "next_opening": state.next_opening,
            "ready_estimate": ahead_ready_estimate(store=store, now=now) if state.state == OPEN else None,
        },
    }


def _cacheable(response: Response) -> Response:
    response["Cache-Control"] = CACHE_CONTROL
    return response


class StoresView(PublicAPIView):
    @extend_schema(auth=[])
    @api_operation(
        summary="The stores, with opening hours and whether they take orders ahead now",
        ok={200: StoreOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        return _cacheable(Response(StoreOutput([store_body(s, now) for s in stores_for_ordering()], many=True).data))


class StoreMenuView(PublicAPIView):
    @extend_schema(auth=[])
    @api_operation(
        summary="A store's menu for ordering ahead: products, options, prices, what is sold out",
        ok={200: MenuOutput},
        errors=[404],
    )
    def get(self, request: Request, slug: str) -> Response:
        store = store_for_ordering(slug=slug)
        if store is None:
            raise NotFound("No such store.")
        menu = ahead_menu(store=store)
        categories = [
            {
                "slug": category.slug,
                "name": category.name,
                "products": [
                    {
                        "id": product.pk,
                        "sku": product.sku,
                        "name": product.name,
                        "price": product.price,
                        "image": product.image.url if product.image else None,
                        "sold_out": product.pk in menu.sold_out_products,
                        "modifiers": [
                            {
                                "id": option.pk,
                                "group": option.group,
                                "name": option.name,
                                "price": option.price,
                                "is_default": option.is_default,
                                "sold_out": option.pk in menu.sold_out_modifiers,
                            }
                            for option in product.modifiers.all()
                        ],
                    }
                    for product in category.ahead_products  # type: ignore[attr-defined]
                ],
            }
            for category in menu.categories
        ]
        return _cacheable(Response(MenuOutput({"store": store.slug, "categories": categories}).data))
