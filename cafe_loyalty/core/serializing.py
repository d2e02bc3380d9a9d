"""DRF serializers used on a hot path without their per-instance cost.

Each DRF serializer instance deep-copies every declared field and binds the
copies to itself (`Serializer.fields`): for the payment API's small bodies
that was a tenth of the request's Python. `represent` and `validated` give
what `Serializer(instance).data` and `Serializer(data=…).is_valid()` give,
through one instance per serializer class and thread whose fields are bound
once: the serializer stays the one home of a body's fields and rules (and of
the schema generated from it). Any refusal goes through a fresh instance, so
error bodies are exactly DRF's. For flat serializers of plain fields (a
nested serializer would share the same bound instance across calls too, which
is fine as long as it keeps no per-call state)."""

from __future__ import annotations

import threading
from typing import Any

from rest_framework import serializers

_bound = threading.local()


def _instance(serializer_class: type[serializers.Serializer[Any]]) -> serializers.Serializer[Any] | None:
    """This thread's bound instance of the class, or None while it is in use
    (a body built inside another's: use a fresh one)."""
    by_class: dict[type[serializers.Serializer[Any]], serializers.Serializer[Any]] | None = getattr(
        _bound, "by_class", None
    )
    if by_class is None:
        by_class = _bound.by_class = {}
    serializer = by_class.get(serializer_class)
    if serializer is None:
        serializer = by_class[serializer_class] = serializer_class()
        serializer.fields  # noqa: B018 - binds the field copies, once
    if getattr(serializer, "_in_use", False):
        return None
    return serializer


def represent(
    serializer_class: type[serializers.Serializer[Any]], instance: Any, *, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`serializer_class(instance, context=context).data`, as a dict."""
    serializer = _instance(serializer_class)
    if serializer is None:
        return dict(serializer_class(instance, context=context or {}).data)
    serializer._in_use = True  # type: ignore[attr-defined]
    serializer._context = context or {}
    serializer.instance = instance
    try:
        return dict(serializer.to_representation(instance))
    finally:
        serializer._context, serializer.instance = {}, None
        serializer._in_use = False  # type: ignore[attr-defined]


def validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """`serializer_class(data=data)`'s validated data once `is_valid(raise_exception=True)`
    passes; raises the ValidationError that call raises."""
    serializer = _instance(serializer_class)
    if serializer is not None:
        serializer._in_use = True  # type: ignore[attr-defined]
        try:
            return dict(serializer.run_validation(data))
        except serializers.ValidationError:
            pass  # refused: the error body comes from a fresh instance below, exactly as DRF words it
        finally:
            serializer._in_use = False  # type: ignore[attr-defined]
    fresh = serializer_class(data=data)
    fresh.is_valid(raise_exception=True)
    return dict(fresh.validated_data)
