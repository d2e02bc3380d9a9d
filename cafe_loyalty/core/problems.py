"""RFC 9457 problem details for the API: every error has a stable `code`.

Domain exceptions subclass `Problem` (or are mapped here) so that services stay
free of HTTP while the API answers with one status and code per failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """Base for domain errors that the API shows as problem details.

    `headers` are response headers the answer carries (for example
    `Retry-After` on a 503): set them on the class, or per instance."""

    status: int = status.HTTP_400_BAD_REQUEST
    code: str = "bad_request"
    title: str = "Bad request"
    headers: Mapping[str, str] = {}

    def __init__(self, detail: str | None = None, *, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        if headers is not None:
            self.headers = {**self.headers, **headers}
        super().__init__(self.detail)


def problem_response(
    *,
    status_code: int,
    code: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://cafe.example/problems/{code}",
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if extra:
        body.update(extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE, headers=dict(headers or {}))


def problem_response_for(exc: Problem) -> Response:
    """The problem+json answer to a domain error, with its headers."""
    return problem_response(
        status_code=exc.status, code=exc.code, title=exc.title, detail=exc.detail, extra=exc.extra, headers=exc.headers
    )


_DRF_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.NotAuthenticated: ("not_authenticated", "Not authenticated"),
    exceptions.AuthenticationFailed: ("not_authenticated", "Not authenticated"),
    exceptions.PermissionDenied: ("permission_denied", "Permission denied"),
    exceptions.NotFound: ("not_found", "Not found"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed"),
    exceptions.NotAcceptable: ("not_acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Unsupported media type"),
    exceptions.Throttled: ("throttled", "Too many requests"),
    exceptions.ParseError: ("malformed_request", "Malformed request"),
    exceptions.ValidationError: ("validation_error", "Invalid input"),
}


# Answers made outside DRF (an unmatched /api/ URL, a crash) and the fallback
# for an APIException this module does not name.
OTHER_CODES = ("server_error", "error")


def problem_codes() -> list[str]:
    """Every `code` the API can answer with, for the schema's enum: each
    Problem subclass's (a subclass that can be raised has been imported by
    then), the DRF mapping's and OTHER_CODES. Built here so it cannot drift
    from the classes that raise them."""
    codes = {code for code, _title in _DRF_CODES.values()} | set(OTHER_CODES)
    pending: list[type[Problem]] = [Problem]
    while pending:
        klass = pending.pop()
        codes.add(klass.code)
        pending.extend(klass.__subclasses__())
    return sorted(codes)


def flat_errors(detail: Any, path: str = "") -> dict[str, list[str]]:
    """Validation messages as one list per field, nested fields named by path
    (`lines.0.note`): the contract's `errors` maps a field to its messages, so a
    client never meets an object where it expects a list."""
    if isinstance(detail, dict):
        items: Iterable[tuple[Any, Any]] = detail.items()
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        items = enumerate(detail)
    else:
        messages = detail if isinstance(detail, list) else [detail]
        return {path or "non_field_errors": [str(message) for message in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in items:
        flat.update(flat_errors(value, f"{path}.{key}" if path else str(key)))
    return flat


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Problem):
        return problem_response_for(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code, title = next(
        (value for klass, value in _DRF_CODES.items() if isinstance(exc, klass)),
        ("error", "Error"),  # OTHER_CODES
    )
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        detail = "The request has invalid fields."
        extra["errors"] = flat_errors(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
    else:
        detail = str(exc.detail)
    problem = problem_response(status_code=response.status_code, code=code, title=title, detail=detail, extra=extra)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem
