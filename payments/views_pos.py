"""The barista till (HTMX pages)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payments.models import StoreStaff
from payments.permissions import pos_required


@pos_required
def home(request: HttpRequest) -> HttpResponse:
    stores = StoreStaff.objects.filter(user_id=int(request.user.pk or 0)).select_related("store")
    return render(request, "pos/home.html", {"store_roles": stores})
