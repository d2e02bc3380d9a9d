from typing import Any

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from members.display import remember_large_and_simple
from members.models import Member
from members.services import member_get_or_create_for_user


@receiver(user_signed_up)
def create_member_on_signup(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    member_get_or_create_for_user(user=user)


@receiver(user_logged_in)
def large_and_simple_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """The member's display mode follows them to each device they sign in on."""
    member = Member.objects.filter(user=user).only("large_and_simple").first()
    if request is not None and hasattr(request, "session") and member is not None:
        remember_large_and_simple(request, member)
