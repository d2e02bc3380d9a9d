"""Notice texts that are rendered again in the reader's language.

A notice keeps what its title and body are made of (`Notice.texts`), not only
the words they came out as when it was written: a message id with its
parameters, where a parameter is plain text, a number or amount of money
formatted when shown, a date, another message, or a translatable field of a
row (a tier's name, a product's name) read in the language of the page. So a
member who switches the portal to 繁體中文 reads last week's notices in it too.

The stored `title`/`body` stay as written, in the member's language: emails and
the admin use them, and they are what is shown for notices written before the
texts were kept and for free text (a manager's reply), which has no message.

Stored values (JSON), nested freely:
  "text" or 12                                   plain, as written
  {"message": msgid, "params": {name: value}}    gettext(msgid) % params
  {"model": "members.Tier", "pk": 3, "field": "name", "text": "Gold"}
                                                 the row's field now; `text` if it is gone
  {"money": 15000, "signed": false}              format_money, in the page's locale
  {"number": 1500, "signed": false}              grouped as the locale groups
  {"datetime": "2025-05-01T08:00:00+00:00", "format": "Y-m-d"}   in local time
  {"join": [value, …], "sep": "\\n"}             values one after another
  {"lower": value}                               the value in lower case ("paid by card")
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext

from cafe_loyalty.core.money import format_money
from members.models import Notice

# Where a rendered text is malformed (a translator's msgstr with a parameter
# the message lacks, a hand-edited row), the notice shows its stored text.
_RENDER_ERRORS = (KeyError, ValueError, TypeError, LookupError)


class NoticeValue:
    """A part of a notice text that can be rendered again later. `str()` gives
    it in the active language (so it also serves where text is needed now, as a
    points entry's explanation); `as_json()` is what the notice stores."""

    __slots__ = ()

    def as_json(self) -> Any:
        raise NotImplementedError

    def __str__(self) -> str:
        return render_value(self.as_json())


class NoticeText(NoticeValue):
    __slots__ = ("message", "params")

    def __init__(self, message: str, params: dict[str, Any]) -> None:
        self.message, self.params = message, params

    def as_json(self) -> Any:
        stored: dict[str, Any] = {"message": self.message}
        if self.params:
            stored["params"] = {name: value_json(value) for name, value in self.params.items()}
        return stored


class NoticeData(NoticeValue):
    __slots__ = ("instance", "field")

    def __init__(self, instance: Any, field: str) -> None:
        self.instance, self.field = instance, field

    def as_json(self) -> Any:
        meta = self.instance._meta
        return {
            "model": meta.label,
            "pk": self.instance.pk,
            "field": self.field,
            "text": str(getattr(self.instance, self.field) or ""),
        }


class NoticeMarker(NoticeValue):
    """Money, a number or a date: kept as the value, formatted when shown."""

    __slots__ = ("stored",)

    def __init__(self, stored: dict[str, Any]) -> None:
        self.stored = stored

    def as_json(self) -> Any:
        return self.stored


class NoticeJoin(NoticeValue):
    __slots__ = ("values", "sep")

    def __init__(self, values: Sequence[Any], sep: str) -> None:
        self.values, self.sep = values, sep

    def as_json(self) -> Any:
        return {"join": [value_json(value) for value in self.values], "sep": self.sep}


class NoticeLower(NoticeValue):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def as_json(self) -> Any:
        return {"lower": value_json(self.value)}


def _lazy_msgid(value: Promise) -> str | None:
    """The message id of a `gettext_lazy(...)` (a choice's label), so it is
    stored as a message and translated when shown; None for other lazies."""
    reduced = value.__reduce__()  # (unpickle, (func, args, kw, *result classes)) for a lazy()
    if not isinstance(reduced, tuple):
        return None
    call: tuple[Any, ...] = tuple(reduced[1])
    func, args, kw = call[0], call[1], call[2]
    if func is gettext and len(args) == 1 and not kw and isinstance(args[0], str):
        return str(args[0])
    return None


def value_json(value: Any) -> Any:
    """What is stored for one value. Call it in the member's language: data
    references keep their text as written, the fallback if the row goes."""
    if isinstance(value, NoticeValue):
        return value.as_json()
    if isinstance(value, Promise):
        msgid = _lazy_msgid(value)
        return {"message": msgid} if msgid is not None else str(value)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


# --- Rendering, in the active language ----------------------------------------------

Rows = dict[tuple[str, Any], Any]


def render_value(stored: Any, rows: Rows | None = None) -> str:
    """One stored value as text in the active language. `rows` holds the rows
    data references point to, by (model label, pk); without it (at write time)
    a reference shows the text it was written with."""
    if not isinstance(stored, dict):
        return "" if stored is None else str(stored)
    if "message" in stored:
        text = gettext(stored["message"])
        params = stored.get("params")
        return text % {name: render_value(value, rows) for name, value in params.items()} if params else text
    if "model" in stored:
        row = None if rows is None else rows.get((stored["model"], stored["pk"]))
        return str(stored.get("text", "")) if row is None else str(getattr(row, stored["field"]) or "")
    if "money" in stored:
        return format_money(int(stored["money"]), signed=bool(stored.get("signed")))
    if "number" in stored:
        number = int(stored["number"])
        text = number_format(number, use_l10n=True, force_grouping=True)
        return f"+{text}" if stored.get("signed") and number > 0 else text
    if "datetime" in stored:
        moment = datetime.fromisoformat(stored["datetime"])
        return date_format(timezone.localtime(moment) if timezone.is_aware(moment) else moment, stored["format"])
    if "join" in stored:
        return str(stored.get("sep", "")).join(render_value(value, rows) for value in stored["join"])
    if "lower" in stored:
        return render_value(stored["lower"], rows).lower()
    raise ValueError(f"unknown notice value {sorted(stored)}")


def _references(stored: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(stored, dict):
        if "model" in stored and "pk" in stored:
            yield stored["model"], stored["pk"]
        for value in stored.values():
            yield from _references(value)
    elif isinstance(stored, list):
        for value in stored:
            yield from _references(value)


def _rows_for(notices: Sequence[Notice]) -> Rows:
    """The rows the notices refer to, one query per model however many
    notices (an inbox page of fifty receipts reads its products once)."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for notice in notices:
        for label, pk in _references(notice.texts):
            wanted[label].add(pk)
    rows: Rows = {}
    for label, pks in wanted.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # a model since removed: its references show their stored text
        for pk, row in model._default_manager.in_bulk(list(pks)).items():
            rows[(label, pk)] = row
    return rows


def notices_render(notices: Sequence[Notice]) -> list[tuple[str, str]]:
    """Each notice's (title, body) in the active language: rendered from its
    texts where it has them, else (older notices, free text) as stored."""
    rows = _rows_for(notices)
    rendered = []
    for notice in notices:
        texts = notice.texts or {}
        title, body = notice.title, notice.body
        try:
            if "title" in texts:
                title = render_value(texts["title"], rows)
            if "body" in texts:
                body = render_value(texts["body"], rows)
        except _RENDER_ERRORS:
            title, body = notice.title, notice.body
        rendered.append((title, body))
    return rendered


def notices_shown(notices: Sequence[Notice]) -> list[Notice]:
    """The notices with `shown_title`/`shown_body` set for a page to show."""
    for notice, (title, body) in zip(notices, notices_render(notices), strict=True):
        notice.shown_title, notice.shown_body = title, body  # type: ignore[attr-defined]
    return list(notices)


def notice_render(notice: Notice) -> tuple[str, str]:
    """One notice's (title, body) in the active language."""
    return notices_render([notice])[0]
