from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.money import format_money, parse_money


class MoneyField(forms.CharField):
    """An amount typed by a person in major units ('120' or '120.50'),
    cleaned to integer minor units."""

    def __init__(self, *, min_amount: int = 0, max_amount: int | None = None, **kwargs: Any) -> None:
        self.min_amount = min_amount
        self.max_amount = max_amount
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in ("", None):
            return None
        try:
            amount = parse_money(str(text))
        except ValueError:
            raise forms.ValidationError(_("Enter an amount like 120 or 120.50.")) from None
        if amount < self.min_amount:
            raise forms.ValidationError(_("The least is %(min)s.") % {"min": format_money(self.min_amount)})
        if self.max_amount is not None and amount > self.max_amount:
            raise forms.ValidationError(_("The most is %(max)s.") % {"max": format_money(self.max_amount)})
        return amount


class TopUpForm(forms.Form):
    amount = MoneyField(label=_("Amount"))
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, min_amount: int, max_amount: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["amount"]
        assert isinstance(field, MoneyField)
        field.min_amount = min_amount
        field.max_amount = max_amount


class LimitsForm(forms.Form):
    daily_limit = MoneyField(
        label=_("Daily spending limit"), required=False, help_text=_("Empty: the programme's limit.")
    )
    no_confirmation_limit = MoneyField(
        label=_("Pay without confirming up to"),
        required=False,
        help_text=_("Payments above this wait for you to approve them on your phone."),
    )

    def __init__(self, *args: Any, daily_cap: int, confirm_cap: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        daily = self.fields["daily_limit"]
        confirm = self.fields["no_confirmation_limit"]
        assert isinstance(daily, MoneyField) and isinstance(confirm, MoneyField)
        daily.max_amount = daily_cap
        confirm.max_amount = confirm_cap


class FreezeForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), max_length=200, required=False)


class MonthFilterForm(forms.Form):
    month = forms.RegexField(
        regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": _("Choose a month from the list.")},
    )

    def clean_month(self) -> str:
        """Years a calendar month can start and end in (0000-01 or 9999-12
        have no month after or before them in Python's dates)."""
        month: str = self.cleaned_data["month"]
        if month and not 1 <= int(month[:4]) <= 9998:
            raise forms.ValidationError(_("Choose a month from the list."))
        return month


class WalletPauseForm(forms.Form):
    """A manager pauses wallet payments (admin): every store, or one."""

    store: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=_("All stores"),
        label=_("Where"),
        help_text=_("Pausing one store stops only its tills and terminals."),
    )
    reason = forms.CharField(
        max_length=300,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Baristas see it at the till; members see only that wallet payments are paused."),
    )

    def __init__(self, *args: Any, stores: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]


class WalletPauseLiftForm(forms.Form):
    lift_reason = forms.CharField(
        max_length=300, label=_("Why wallet payments can resume"), widget=forms.Textarea(attrs={"rows": 3})
    )


class TillEnrolForm(forms.Form):
    """A new member at the till: what POST /api/v1/members takes."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=80)


class StaffLoginForm(LoginForm):
    """Signing in at a shared till: no "remember me" (the session ends with
    the browser, and the staff session limits end it sooner)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("remember", None)
        self.fields["login"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.cleaned_data["remember"] = False  # what allauth reads when it logs in
        return cleaned
