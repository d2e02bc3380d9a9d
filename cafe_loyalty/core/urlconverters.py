"""A path converter for row ids: digits that fit a 64-bit primary key.

Django's `<int:…>` takes any number of digits; an id past 2^63 − 1 then
reaches the database, which refuses it with an error (a 500, found by the API
fuzz test). `<id:…>` does not match such a path at all, so it is a plain 404."""

from __future__ import annotations

from django.urls import register_converter

LARGEST_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > LARGEST_ID:
            raise ValueError("not a row id")  # the path does not match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
