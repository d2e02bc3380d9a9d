from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver
from django.http import HttpRequest

from members.services import member_get_or_create_for_user


@receiver(user_signed_up)
def create_member_on_signup(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    member_get_or_create_for_user(user=user)
