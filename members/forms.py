from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from members.models import Consent, Member
from members.services import consent_record, member_get_or_create_for_user


class SignupForm(forms.Form):
    """Extra fields on allauth's signup form (allauth calls `signup` after saving the user)."""

    name = forms.CharField(label=_("Your name"), max_length=80)
    marketing_email = forms.BooleanField(label=_("Email me offers and news"), required=False)

    def signup(self, request: HttpRequest, user: Any) -> None:
        user.first_name = self.cleaned_data["name"][:150]
        user.save(update_fields=["first_name"])
        member = member_get_or_create_for_user(user=user)
        member.display_name = self.cleaned_data["name"]
        # Notices and emails follow the language the member signed up in.
        language = get_language()
        if language in dict(settings.LANGUAGES):
            member.preferred_language = language
        member.save(update_fields=["display_name", "preferred_language"])
        if self.cleaned_data.get("marketing_email"):
            consent_record(
                member=member,
                channel=Consent.Channel.EMAIL,
                purpose=Consent.Purpose.MARKETING,
                granted=True,
                source="signup",
            )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["display_name", "phone", "birthday", "preferred_language"]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        }

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not all(c.isdigit() or c in "+- ()" for c in phone):
            raise forms.ValidationError(_("Use digits, spaces, +, - and brackets only."))
        if phone and sum(c.isdigit() for c in phone) < 6:
            raise forms.ValidationError(_("That phone number is too short."))
        return phone

    def clean_preferred_language(self) -> str:
        value = self.cleaned_data["preferred_language"]
        if value not in dict(settings.LANGUAGES):
            raise forms.ValidationError(_("Unknown language."))
        return str(value)


class ConsentForm(forms.Form):
    """One checkbox per (channel, purpose)."""

    def __init__(self, *args: Any, current: dict[tuple[str, str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel, channel_label in Consent.Channel.choices:
            for purpose, purpose_label in Consent.Purpose.choices:
                self.fields[f"{channel}__{purpose}"] = forms.BooleanField(
                    label=f"{purpose_label} — {channel_label}",
                    required=False,
                    initial=current.get((channel, purpose), False),
                )

    def choices(self) -> list[tuple[str, str, bool]]:
        out = []
        for name, value in self.cleaned_data.items():
            channel, purpose = name.split("__")
            out.append((channel, purpose, bool(value)))
        return out
