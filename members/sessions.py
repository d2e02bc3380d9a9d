"""A person's signed-in sessions, as allauth.usersessions lists them.

allauth lists a session when someone signs in through its own flows; the
project lists every session when it begins (Django's user_logged_in, see
cafe_loyalty.middleware), whatever door it came through, so that
`user_sessions_end` reaches every device: a member who lost their phone signs
it out from another one."""

from __future__ import annotations

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

# Where the client's address is not known (a session made by a test client or
# a management command); the column may not be empty.
UNKNOWN_IP = "0.0.0.0"  # noqa: S104  (a placeholder address, nothing binds to it)


def session_list(*, request: HttpRequest, user: AbstractBaseUser) -> None:
    """Put the request's session on the person's list (once per session key;
    allauth's own listing at its logins then finds it and fills in the rest)."""
    if not request.session.session_key:
        request.session.save()
    try:
        ip = get_account_adapter(request).get_client_ip(request) or UNKNOWN_IP
    except PermissionDenied:
        ip = UNKNOWN_IP
    user_agent = request.META.get("HTTP_USER_AGENT", "")[: UserSession._meta.get_field("user_agent").max_length]
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user, "ip": ip, "user_agent": user_agent}
    )


def user_sessions_end(*, user: AbstractBaseUser, keep_session_key: str | None) -> int:
    """Sign the person out everywhere except the session `keep_session_key`
    (the device they are using now; None: everywhere). Sessions that already
    ended are only forgotten. Returns how many live sessions were ended."""
    live = [s for s in UserSession.objects.purge_and_list(user) if s.session_key != keep_session_key]
    get_adapter().end_sessions(live)
    return len(live)
