"""Each user's permission set, and that a staff user has MFA, memoised per process.

Every till request checks `payments.use_pos`, which costs Django's
ModelBackend two queries (the user's own permissions and their groups').
Roles change a few times a year, so the set is kept as
cafe_loyalty.core.rulecache keeps rule rows: a change of a group, a
permission, a user, or a user's groups or permissions (signals, the
many-to-many ones included) in this process forgets every set at once and
again after commit; other processes see it within `rulecache.SECONDS`.
`is_active` and `is_superuser` come from the user row read on this request,
so a deactivated account is refused at once everywhere.

StaffMfaMiddleware asks on every /pos/ and /admin/ request whether a staff
user still has to set up MFA (their roles, then their authenticators: two
queries). Only "no" is memoised (keyed like the permission sets), so a user
sent to set it up is asked again on their next request; a role given or an
authenticator removed applies as above.

The backends stay Django's (sessions name the backend that signed them in):
`permissions_memoised` fills the per-request `_perm_cache` that
ModelBackend.get_all_permissions reads before it queries.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed

from cafe_loyalty.core.roles import is_staff_member, user_has_mfa
from cafe_loyalty.core.rulecache import RuleCache

_User = get_user_model()
# (user id, is_superuser) -> that user's "app_label.codename" permissions.
_sets: RuleCache[dict[tuple[Any, bool], frozenset[str]]] = RuleCache(dict, models=(Group, Permission, _User))
for _through in (Group.permissions.through, _User.groups.through, _User.user_permissions.through):
    m2m_changed.connect(_sets._changed, sender=_through, weak=False)


def permissions_memoised(user: Any) -> None:
    """Give this request's `user` its permission set from the memo (read
    once per process and change), so `has_perm` asks no query."""
    if not user.is_authenticated or not user.is_active or hasattr(user, "_perm_cache"):
        return
    memo = _sets.get()
    key = (user.pk, bool(user.is_superuser))
    known = memo.get(key)
    if known is None:
        known = memo[key] = frozenset(ModelBackend().get_all_permissions(user))
    user._perm_cache = set(known)


@functools.cache
def _mfa_set_up() -> RuleCache[dict[tuple[Any, bool, bool], bool]]:
    """Made on first use: allauth's models are not loaded when this module is imported."""
    from allauth.mfa.models import Authenticator

    memo: RuleCache[dict[tuple[Any, bool, bool], bool]] = RuleCache(dict, models=(Authenticator, Group, _User))
    m2m_changed.connect(memo._changed, sender=_User.groups.through, weak=False)
    return memo


def staff_must_set_up_mfa(user: Any) -> bool:
    """A signed-in staff member (cafe_loyalty.core.roles) with no authenticator yet."""
    memo = _mfa_set_up().get()
    key = (user.pk, bool(user.is_staff), bool(user.is_superuser))
    if memo.get(key):
        return False
    if is_staff_member(user) and not user_has_mfa(user):
        return True
    memo[key] = True  # no need to set it up: kept as the permission sets are
    return False
