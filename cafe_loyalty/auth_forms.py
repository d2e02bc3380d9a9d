"""allauth forms as this project shows them."""

from __future__ import annotations

from typing import Any

from allauth.mfa.base.forms import AuthenticateForm


class TwoFactorForm(AuthenticateForm):
    """The two-factor step: the code field has the focus and asks for the
    number pad (authenticator and recovery codes are both digits)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"autofocus": True, "inputmode": "numeric", "pattern": "[0-9]*"})
