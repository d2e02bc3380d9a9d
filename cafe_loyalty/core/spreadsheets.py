"""CSV cells that a spreadsheet opens as text, never as a formula.

A cell starting with = + - @ (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula by Excel, LibreOffice
and Google Sheets; a product named `=HYPERLINK(...)` or `=cmd|...` would run
on the manager's computer. Such cells get a leading apostrophe on the way out
(OWASP's advice), which `csv_cell_read` takes off again on the way in."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell_read(text: str) -> str:
    """A cell written by csv_cell, as it was."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text
