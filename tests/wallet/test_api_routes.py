"""The API's routes come first in cafe_loyalty.urls (Django tries routes in
order, and a payment paid for resolving past every page's route). That changes
which view answers no request only while no other route takes a path under
/api/v1/."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, resolve

from cafe_loyalty.urls import urlpatterns

API_PATHS = [
    "api/v1/payments",
    "api/v1/payments/1",
    "api/v1/payments/1/refunds",
    "api/v1/members/0123",
    "api/v1/me/orders/1",
    "api/v1/stores/roastery/menu",
    "api/v1/nothing-here",
]


def takes(route: URLPattern | URLResolver, path: str) -> bool:
    try:
        return route.resolve(path) is not None
    except Resolver404:
        return False


@pytest.mark.parametrize("path", API_PATHS)
def test_no_route_but_the_apis_takes_a_path_under_api_v1(path: str) -> None:
    api, *others = urlpatterns
    assert str(api.pattern) == "api/v1/"
    catch_all = others[-1]
    assert getattr(catch_all, "name", "") == "api-not-found"
    assert [route for route in others[:-1] if takes(route, path)] == []


def test_the_payment_routes_resolve_to_their_views() -> None:
    assert resolve("/api/v1/payments").url_name == "payments"
    assert resolve("/api/v1/payments/7/refunds").url_name == "refunds"
    assert resolve("/api/v1/nothing-here").url_name == "api-not-found"
    assert resolve("/wallet/").url_name == "wallet"
