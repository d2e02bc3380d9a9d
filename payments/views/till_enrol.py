"""Enrol a new member at the till and put them on the order at once: the same
enrolment as POST /api/v1/members (an account without a password, claimed
later), and allauth's verification email to the address typed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cafe_loyalty.core.problems import Problem
from members.services import member_enrol_at_till
from members.verification import enrolment_verification_send
from payments.forms import TillEnrolForm
from payments.permissions import pos_required
from payments.services import orders as svc
from payments.views.till_common import cart_context, order_for, render_cart


@pos_required
@require_POST
def enrol(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_for(request, order_id)
    form = TillEnrolForm(request.POST)
    if not form.is_valid():
        context = cart_context(order, error=_("Enter the new member's email and name."))
        return render(request, "pos/till.html#cart", {**context, "enrol_form": form, "enrol_open": True})
    try:
        member = member_enrol_at_till(email=form.cleaned_data["email"], name=form.cleaned_data["name"])
        svc.order_attach_member(order=order, member=member)
    except Problem as exc:
        context = cart_context(order, error=exc.detail)
        return render(request, "pos/till.html#cart", {**context, "enrol_form": form, "enrol_open": True})
    enrolment_verification_send(request=request, user=member.user)
    order.refresh_from_db()
    return render_cart(
        request,
        order,
        notice=_("Welcome, %(name)s (card %(card)s). A verification email went to %(email)s.")
        % {"name": member.display_name, "card": member.card_number, "email": member.email},
    )
