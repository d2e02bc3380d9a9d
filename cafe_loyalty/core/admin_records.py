"""Shared admin pieces: read-only admins for rows the programme writes itself
(ledger, grants, referrals), and money shown and typed as money.

Money is stored in minor units (155000); managers read and type `NT$1,550`.
`MoneyAdmin.money_fields` names the model's money columns: on list and detail
pages each one is shown through `format_money`, and where it is editable the
form takes what a person types (`1,550` or `1550.50`) and stores minor units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.money import currency, format_money, major_units, parse_money


def money_text(amount: int | None) -> str:
    """Minor units as a person types them: '1550' for whole amounts, else '1550.50'."""
    if amount is None:
        return ""
    whole, minor = divmod(int(amount), 10 ** currency().exponent)
    return str(whole) if minor == 0 else str(major_units(amount))


class MoneyFormField(forms.CharField):
    """A money input in major units that cleans to an int of minor units."""

    def __init__(self, *, min_value: int | None = None, max_value: int | None = None, **kwargs: Any) -> None:
        self.min_value, self.max_value = min_value, max_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "money-input"}))
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return money_text(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            amount = parse_money(str(text))
        except ValueError:
            raise ValidationError(
                _("Type an amount in %(symbol)s, like 1,550 or 1550.50."), code="invalid", params=_symbol()
            ) from None
        if self.max_value is not None and amount > self.max_value:
            raise ValidationError(
                _("At most %(amount)s."), code="max_value", params={"amount": format_money(self.max_value)}
            )
        if self.min_value is not None and amount < self.min_value:
            raise ValidationError(
                _("At least %(amount)s."), code="min_value", params={"amount": format_money(self.min_value)}
            )
        return amount


def _symbol() -> dict[str, str]:
    return {"symbol": currency().symbol}


def _money_help(help_text: Any) -> Any:
    note = _("In %(symbol)s.") % _symbol()
    return format_lazy("{} {}", note, help_text) if help_text else note


def money_column(field: str, description: Any) -> Callable[[Any], str]:
    """A list/detail column showing the model's `field` as money, sortable by it."""

    @admin.display(description=description, ordering=field)
    def column(obj: Any) -> str:
        return format_money(getattr(obj, field))

    column.__name__ = f"{field}_money"
    return column


class LabelledSplitDateTime(admin_widgets.AdminSplitDateTime):
    """The admin's date + time pair, each input named for the field ("starts
    at: date", "starts at: time"): the stock widget labels only the date."""

    def __init__(self, label: Any, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = _("%(field)s: date") % {"field": label}
        self.widgets[1].attrs["aria-label"] = _("%(field)s: time") % {"field": label}


class MoneyFieldsMixin:
    """For a ModelAdmin or an inline: its `money_fields` show as money on list
    and detail pages, editable or not, and its date-time inputs (and a tabular
    inline's inputs) carry their field's name."""

    money_fields: Sequence[str] = ()
    model: type[models.Model]

    def _money_columns(self) -> dict[str, Callable[[Any], str]]:
        # One callable per field and admin: the admin finds a readonly field
        # by identity in the readonly list, so fields and readonly_fields must
        # hold the very same callable.
        columns: dict[str, Callable[[Any], str]] | None = self.__dict__.get("_money_column_memo")
        if columns is None:
            opts = self.model._meta
            columns = {name: money_column(name, opts.get_field(name).verbose_name) for name in self.money_fields}  # type: ignore[union-attr]
            self.__dict__["_money_column_memo"] = columns
        return columns

    def _as_money(self, names: Sequence[Any], only: set[str] | None = None) -> list[Any]:
        columns = self._money_columns()
        return [
            columns[name] if isinstance(name, str) and name in columns and (only is None or name in only) else name
            for name in names
        ]

    def _readonly_money(self, request: HttpRequest, obj: Any) -> set[str]:
        declared = set(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            return set(self.money_fields)
        return declared & set(self.money_fields)

    def get_list_display(self, request: HttpRequest) -> Any:
        return self._as_money(super().get_list_display(request))  # type: ignore[misc]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = self._as_money(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        missing = [self._money_columns()[name] for name in self._readonly_money(request, obj)]
        return readonly + [column for column in missing if column not in readonly]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # A money field shown read-only is shown by its column, not the form.
        excluded = list(super().get_exclude(request, obj) or [])  # type: ignore[misc]
        return excluded + sorted(self._readonly_money(request, obj))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = self._as_money(super().get_fields(request, obj), only=self._readonly_money(request, obj))  # type: ignore[misc]
        if getattr(self, "fields", None):
            return fields
        # Derived fields list: put each money column back at its model field's place.
        order = {f.name: i for i, f in enumerate(self.model._meta.get_fields())}
        columns = {column: name for name, column in self._money_columns().items()}

        def place(field: Any) -> int:
            name = field if isinstance(field, str) else columns.get(field)
            return order.get(name, len(order)) if name else len(order)

        return sorted(fields, key=place)

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in self.money_fields:
            return MoneyFormField(
                required=not db_field.blank,
                label=kwargs.get("label", db_field.verbose_name.capitalize()),
                help_text=_money_help(db_field.help_text),
                min_value=0,
            )
        if isinstance(db_field, models.DateTimeField):
            kwargs["widget"] = LabelledSplitDateTime(db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        if not isinstance(self, admin.TabularInline):
            return formset

        class NamedInputsFormSet(formset):  # type: ignore[misc,valid-type]
            def add_fields(self, form: forms.Form, index: int | None) -> None:
                # A tabular inline names its columns in a header row, not in a
                # <label> per input: each input (Delete too) carries its column's name.
                super().add_fields(form, index)
                for field in form.fields.values():
                    # A foreign key's select sits in a wrapper (the add/change
                    # links) whose attrs, once copied per form, are no longer the select's.
                    inner = getattr(field.widget, "widget", None) or field.widget
                    inner.attrs.setdefault("aria-label", field.label)

        return NamedInputsFormSet


class MoneyAdmin(MoneyFieldsMixin, admin.ModelAdmin):
    pass


class ReadOnlyAdmin(MoneyAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
