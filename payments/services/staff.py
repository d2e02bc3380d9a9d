from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cafe_loyalty.core.roles import MANAGER, ROLES
from members.services import username_for_email
from payments.models import Store, StoreStaff


def staff_invite(*, store: Store, email: str, role: str, name: str = "") -> tuple[Any, bool]:
    """Give a person a staff role at a store, creating their account if needed.
    Returns (user, created). New accounts have no password: they set one
    through the password reset email, which also verifies the address.

    An existing account whose address was never verified may have been
    registered by someone else with a colleague's email: it is reset first (no
    password, no second factor, every session signed out, the address to be
    verified again), so the role goes to whoever can read that mailbox."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(username=username_for_email(email), email=email, first_name=name[:150])
            user.set_unusable_password()
            user.save()
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        if not created and not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            _reset_unverified(user, email)
        user.groups.add(Group.objects.get(name=role))
        if role == MANAGER and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        StoreStaff.objects.update_or_create(user=user, store=store, defaults={"role": role})
    return user, created


def _reset_unverified(user: Any, email: str) -> None:
    # A new password hash signs out every session (Django checks it on each request).
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).update(primary=False)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": False})
