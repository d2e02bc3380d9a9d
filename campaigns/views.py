"""Member portal pages for offers: coupons, rewards, referrals."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from members.services import member_get_or_create_for_user


@login_required
def offers_home(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "campaigns/home.html", {"member": member})
