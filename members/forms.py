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

    # The consent box last, after everything the account needs (allauth puts
    # extra fields between the email and the passwords otherwise).
    field_order = ["email", "name", "password1", "password2", "marketing_email"]

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
        fields = ["display_name", "phone", "birthday", "preferred_language", "large_and_simple"]
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


# Channels something really sends on: emails go out (members.notices). No
# text messages or push notifications exist yet, so the form offers no ticks
# for them; add a channel here when it starts sending.
CONSENT_CHANNELS_SENDING: tuple[str, ...] = (Consent.Channel.EMAIL,)


class ConsentForm(forms.Form):
    """A grid: one checkbox per purpose (rows) and channel (columns), for the
    channels that send. A channel that does not send is shown only while the
    member still has a yes recorded on it, so they can withdraw it."""

    def __init__(self, *args: Any, current: dict[tuple[str, str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        granted_elsewhere = {channel for (channel, _purpose), yes in current.items() if yes}
        self.channels = [
            (channel, label)
            for channel, label in Consent.Channel.choices
            if channel in CONSENT_CHANNELS_SENDING or channel in granted_elsewhere
        ]
        for channel, channel_label in self.channels:
            for purpose, purpose_label in Consent.Purpose.choices:
                self.fields[f"{channel}__{purpose}"] = forms.BooleanField(
                    label=f"{purpose_label} — {channel_label}",
                    required=False,
                    initial=current.get((channel, purpose), False),
                )

    def grid(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(purpose label, its checkbox per channel) for each purpose, in the
        order of self.channels."""
        return [
            (str(purpose_label), [self[f"{channel}__{purpose}"] for channel, _label in self.channels])
            for purpose, purpose_label in Consent.Purpose.choices
        ]

    def choices(self) -> list[tuple[str, str, bool]]:
        out = []
        for name, value in self.cleaned_data.items():
            channel, purpose = name.split("__")
            out.append((channel, purpose, bool(value)))
        return out
