"""Member portal pages for the wallet: balance, pay code, top-up, history, limits."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from members.services import member_get_or_create_for_user
from payments.selectors import member_portal_summary


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "payments/wallet.html", {"member": member, "summary": member_portal_summary(member=member)})


@login_required
def pay(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "payments/pay.html", {"member": member, "summary": member_portal_summary(member=member)})
