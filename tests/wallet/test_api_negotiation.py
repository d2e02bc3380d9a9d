"""The API views skip DRF's content negotiation for the usual request
(payments.api.common.JsonAPIView.perform_content_negotiation): the renderer and
media type they choose must be DRF's for every Accept header, query string and
format suffix, and the answers on the wire with them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from payments.api.common import JsonAPIView
from tests.wallet.test_api_contract import assert_problem


def negotiated(view_class: type[APIView], accept: str | None, query: str, suffix: str | None) -> Any:
    """What `view_class` negotiates for a GET with this Accept header (None:
    no header), query string and format suffix: (renderer class, media
    type), or the exception's class."""
    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    view = view_class()
    view.args, view.kwargs, view.headers = (), {}, {}
    path = "/api/v1/stores" + (f"?{query}" if query else "")
    request = view.initialize_request(APIRequestFactory().get(path, **headers))
    view.format_kwarg = suffix
    try:
        renderer, media_type = view.perform_content_negotiation(request)
    except Exception as exc:  # noqa: BLE001 - the refusal itself is what is compared
        return type(exc)
    return type(renderer), media_type


ACCEPTS = [
    None,
    "",
    "*/*",
    " */*",
    "application/json",
    "application/json; indent=4",
    "application/json;q=0.5",
    "application/*",
    "text/html",
    "text/html, */*",
    "text/html,application/json",
    "*/*; indent=2",
    "APPLICATION/JSON",
]
QUERIES = ["", "format=json", "format=api", "format=xml", "page=2"]
RENDERER_LISTS: list[list[type[BaseRenderer]]] = [[JSONRenderer], [JSONRenderer, BrowsableAPIRenderer]]


@settings(max_examples=300, deadline=None)
@given(
    accept=st.one_of(st.sampled_from(ACCEPTS), st.text(max_size=30)),
    query=st.sampled_from(QUERIES),
    suffix=st.sampled_from([None, "json", "api", "xml"]),
    renderers=st.sampled_from(RENDERER_LISTS),
)
def test_the_quick_negotiation_agrees_with_drf(
    accept: str | None, query: str, suffix: str | None, renderers: list[type[BaseRenderer]]
) -> None:
    quick = type("Quick", (JsonAPIView,), {"renderer_classes": renderers})
    drf = type("Drf", (APIView,), {"renderer_classes": renderers})
    assert negotiated(quick, accept, query, suffix) == negotiated(drf, accept, query, suffix)


def test_the_usual_requests_are_answered_without_drfs_negotiation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick path is taken (else the test above compares DRF with itself)."""
    asked: list[str | None] = []
    drf = APIView.perform_content_negotiation

    def counted(view: APIView, request: Any, force: bool = False) -> Any:
        asked.append(request.META.get("HTTP_ACCEPT"))
        return drf(view, request, force)

    monkeypatch.setattr(APIView, "perform_content_negotiation", counted)
    for accept in (None, "*/*", "application/json"):
        assert negotiated(JsonAPIView, accept, "", None) == (JSONRenderer, "application/json")
    assert asked == []
    negotiated(JsonAPIView, "application/json; indent=4", "", None)
    negotiated(JsonAPIView, "*/*", "format=json", None)
    assert asked == ["application/json; indent=4", "*/*"]


def test_a_payment_request_that_accepts_no_json_is_refused_406(api: APIClient) -> None:
    response = api.post("/api/v1/payments", {}, format="json", HTTP_ACCEPT="text/html")
    assert response.status_code == 406


@pytest.mark.parametrize(("accept", "query", "indented"), [("application/json; indent=4", "", True), (None, "", False)])
def test_json_indentation_asked_for_in_accept_is_honoured(
    api: APIClient, accept: str | None, query: str, indented: bool
) -> None:
    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api.get("/api/v1/payments/999999", **headers)
    assert_problem(response, 404, "not_found")
    assert (b"\n    " in response.content) == indented


def test_a_format_the_api_does_not_have_is_not_found(api: APIClient) -> None:
    assert api.get("/api/v1/stores?format=xml").status_code == 404
    assert api.get("/api/v1/stores?format=json").status_code == 200
