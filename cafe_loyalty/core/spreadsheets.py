"""CSV cells that a spreadsheet opens as text, never as a formula.

A cell starting with = + - @ (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula by Excel, LibreOffice
and Google Sheets; a product named `=HYPERLINK(...)` or `=cmd|...` would run
on the manager's computer. Such cells get a leading apostrophe on the way out
(OWASP's advice), which `csv_cell_read` takes off again on the way in."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse

from cafe_loyalty.core.money import currency

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell_read(text: str) -> str:
    """A cell written by csv_cell, as it was."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


# Excel takes a CSV without a byte-order mark for the computer's legacy code
# page (Big5 on a Traditional Chinese Windows), so Chinese turns to mojibake;
# with the mark it reads UTF-8. Other spreadsheets ignore it.
UTF8_BOM = "\ufeff"


def csv_download(filename: str, rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A CSV attachment, UTF-8 with a byte-order mark. Text cells are made safe
    by csv_cell; numbers (int, Decimal, float) are written as they are, so a
    negative amount stays a number (it cannot be a formula)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(UTF8_BOM)
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([cell if isinstance(cell, int | float | Decimal) else csv_cell(cell) for cell in row])
    return response


def in_currency(label: str) -> str:
    """A money column's header, "Sales (TWD)": the unit for whoever reads the
    sheet. Takes the label already translated, so `_("Sales")` stays a plain
    call that makemessages finds (inside an f-string it does not)."""
    return f"{label} ({currency().code})"
