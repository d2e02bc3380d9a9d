from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cafe_loyalty.core.roles import MANAGER, ROLES
from payments.models import Store, StoreStaff


def staff_invite(*, store: Store, email: str, role: str, name: str = "") -> tuple[Any, bool]:
    """Give a person a staff role at a store, creating their account if needed.
    Returns (user, created). New accounts have no password: they set one
    through the password reset email, which also verifies the address."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(username=email[:150], email=email, first_name=name[:150])
            user.set_unusable_password()
            user.save()
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        user.groups.add(Group.objects.get(name=role))
        if role == MANAGER and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        StoreStaff.objects.update_or_create(user=user, store=store, defaults={"role": role})
    return user, created
