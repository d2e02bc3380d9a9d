"""Serializer fields every API input and output uses, so that what the API
takes and what it shows is decided in one place.

* `StrictIntegerField`: amounts and counts are JSON integers only. DRF's
  IntegerField also takes 1000.0, 1.2e4, "12000" and " 12000 "; an integrator
  sending those has a bug (a float near money, a string that came from a form)
  that the API must tell them about, not paper over.
* `UTCDateTimeField`: every timestamp leaves as UTC with a `Z` (DRF's field
  renders in the current time zone with its offset), the same in every body.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """An integer that arrived as a JSON integer: not a float, a string or a
    boolean (Python's bool is an int, JSON's is not)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """A boolean that arrived as a JSON true or false: not "yes", "1" or 1."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class UTCDateTimeField(serializers.DateTimeField):
    """A timestamp rendered in UTC as ISO 8601 with `Z`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)
