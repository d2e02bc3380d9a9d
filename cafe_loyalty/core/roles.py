"""Staff roles as auth groups, and the checks views use.

The groups are created by a data migration and their permissions re-synced after
every `migrate`, because new models bring new permissions.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group, Permission

BARISTA = "Barista"
SHIFT_MANAGER = "Shift manager"
MANAGER = "Manager"
ROLES = (BARISTA, SHIFT_MANAGER, MANAGER)

_BARISTA_PERMS = [
    "payments.use_pos",
    "members.view_member",
]
_SHIFT_MANAGER_PERMS = [*_BARISTA_PERMS, "payments.approve_refund", "payments.manage_shift"]
# payments.* includes it; named so that the incident switch's holder is plain to see.
_MANAGER_PERMS = [
    *_SHIFT_MANAGER_PERMS,
    "members.*",
    "campaigns.*",
    "payments.*",
    "payments.pause_wallet_payments",
    # The value-change log; a second manager approves there (cafe_loyalty.value_changes).
    "cafe_loyalty.view_valuechange",
    "cafe_loyalty.decide_valuechange",
    "auth.view_user",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    BARISTA: _BARISTA_PERMS,
    SHIFT_MANAGER: _SHIFT_MANAGER_PERMS,
    MANAGER: _MANAGER_PERMS,
}


def _permissions_for(specs: list[str], permission_model: Any) -> list[Any]:
    found = []
    for spec in specs:
        app_label, codename = spec.split(".", 1)
        qs = permission_model.objects.filter(content_type__app_label=app_label)
        if codename != "*":
            qs = qs.filter(codename=codename)
        found.extend(qs)
    return found


def sync_roles(*, group_model: Any = Group, permission_model: Any = Permission) -> None:
    """Create the role groups if missing and give each exactly its permissions."""
    for role, specs in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(_permissions_for(specs, permission_model))


def sync_roles_after_migrate(**kwargs: Any) -> None:
    sync_roles()


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))  # type: ignore[attr-defined]


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Anyone who works at a till or in the back office."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user))


def user_has_mfa(user: AbstractBaseUser | AnonymousUser) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
