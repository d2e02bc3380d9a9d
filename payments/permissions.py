"""Role checks for HTML views (the API has its own in payments.api)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from cafe_loyalty.core.permcache import permissions_memoised


def pos_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous -> the staff sign-in page; signed in without the POS permission -> 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("pos:login"))
        permissions_memoised(request.user)  # the role check without its two queries
        if not request.user.has_perm("payments.use_pos"):
            raise PermissionDenied("The till is for staff.")
        return view(request, *args, **kwargs)

    return wrapper
