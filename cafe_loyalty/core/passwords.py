"""Password rules beyond Django's: staff, whose accounts move money and
approve refunds, need longer passwords than members."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cafe_loyalty.core.roles import user_roles

STAFF_MIN_LENGTH = 12


def _is_staff(user: Any) -> bool:
    """A staff role or the admin flags; an account not yet saved has no roles."""
    if user is None:
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return getattr(user, "pk", None) is not None and bool(user_roles(user))


class StaffMinimumLengthValidator:
    """At least `min_length` characters for anyone with a staff role or admin
    access (AUTH_PASSWORD_VALIDATORS; allauth's forms go through it too).
    Members keep Django's MinimumLengthValidator."""

    def __init__(self, min_length: int = STAFF_MIN_LENGTH) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length and _is_staff(user):
            raise ValidationError(
                ngettext(
                    "Staff passwords must contain at least %(min_length)d character.",
                    "Staff passwords must contain at least %(min_length)d characters.",
                    self.min_length,
                )
                % {"min_length": self.min_length},
                code="staff_password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return _("If you work at the cafe, your password must contain at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
