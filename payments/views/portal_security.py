"""The member's "Limits & security" pages: spending limits, freeze and
unfreeze, and the lost-phone button.

Freezing is one tap and signs out every other device; undoing protection
(unfreezing, raising a limit) first sends the member through allauth's
reauthentication (password, or their second factor), so whoever holds a lost
phone that is still signed in cannot lift what protects the wallet. Lowering
a limit never asks."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cafe_loyalty.core.money import amount_for_input
from members.models import Member
from members.services import member_get_or_create_for_user
from payments.exceptions import WalletError
from payments.forms import FreezeForm, LimitsForm
from payments.models import Account, ProgrammeSettings
from payments.selectors.wallet import member_portal_summary, wallet_for_member
from payments.services.ledger import wallet_get_or_create
from payments.services.risk import (
    WalletFrozen,
    effective_daily_limit,
    effective_no_confirmation_limit,
    wallet_freeze,
    wallet_limits_raise,
    wallet_set_limits,
    wallet_unfreeze,
)


def _member(request: HttpRequest) -> Member:
    return member_get_or_create_for_user(user=request.user)


def _limits_form(request: HttpRequest, wallet: Account, programme: ProgrammeSettings) -> LimitsForm:
    return LimitsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "daily_limit": amount_for_input(wallet.daily_limit),
            "no_confirmation_limit": amount_for_input(wallet.no_confirmation_limit),
        },
        daily_cap=programme.daily_limit_cap,
        confirm_cap=programme.no_confirmation_limit,
    )


def _limits_raise(request: HttpRequest) -> bool:
    """For allauth's reauthentication check: does this form raise a limit?"""
    if request.method != "POST" or not request.user.is_authenticated:
        return False
    programme = ProgrammeSettings.current()
    wallet = wallet_get_or_create(member=_member(request))
    form = _limits_form(request, wallet, programme)
    if not form.is_valid():
        return False  # the view shows the errors; nothing is saved
    return wallet_limits_raise(
        wallet=wallet,
        programme=programme,
        daily_limit=form.cleaned_data["daily_limit"],
        no_confirmation_limit=form.cleaned_data["no_confirmation_limit"],
    )


@login_required
@reauthentication_required(enabled=_limits_raise)
def limits(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    programme = ProgrammeSettings.current()
    wallet = wallet_for_member(member=member) or wallet_get_or_create(member=member)
    form = _limits_form(request, wallet, programme)
    if request.method == "POST" and form.is_valid():
        try:
            wallet_set_limits(
                member=member,
                daily_limit=form.cleaned_data["daily_limit"],
                no_confirmation_limit=form.cleaned_data["no_confirmation_limit"],
                # A raise reaches here only through allauth's reauthentication (above).
                reauthenticated=True,
            )
        except WalletError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Limits saved."))
            return redirect("wallet:limits")
    return render(
        request,
        "payments/limits.html",
        {
            "member": member,
            "form": form,
            "wallet": wallet,
            "freeze_form": FreezeForm(),
            "daily_limit": effective_daily_limit(wallet=wallet, programme=programme),
            "confirm_limit": effective_no_confirmation_limit(wallet=wallet, programme=programme),
            "programme": programme,
        },
    )


def frozen_message(done: WalletFrozen) -> str:
    """What the member is told after freezing: what happened, and how to undo it."""
    parts = [_("Your wallet is frozen: nobody can pay with it, and your balance is safe.")]
    if done.codes_retired:
        parts.append(
            ngettext(
                "%(count)d payment code shown on a phone no longer works.",
                "%(count)d payment codes shown on phones no longer work.",
                done.codes_retired,
            )
            % {"count": done.codes_retired}
        )
    if done.sessions_ended:
        parts.append(
            ngettext(
                "%(count)d other device was signed out.",
                "%(count)d other devices were signed out.",
                done.sessions_ended,
            )
            % {"count": done.sessions_ended}
        )
    else:
        parts.append(_("No other device was signed in."))
    parts.append(_("To undo it, tap Unfreeze on this page; we will ask you to confirm it is you first."))
    return " ".join(parts)


def _freeze(request: HttpRequest, reason: str) -> HttpResponse:
    done = wallet_freeze(
        member=_member(request), reason=reason, by_staff=False, keep_session_key=request.session.session_key
    )
    messages.warning(request, frozen_message(done))
    return redirect("wallet:limits")


@login_required
@require_POST
def freeze(request: HttpRequest) -> HttpResponse:
    form = FreezeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _freeze(request, reason or _("Frozen by the member"))


@login_required
def lost_phone(request: HttpRequest) -> HttpResponse:
    """One button for a lost phone: freeze the wallet, retire its payment
    codes and sign out every other device, after one confirmation."""
    if request.method == "POST":
        return _freeze(request, _("Lost phone: frozen by the member"))
    member = _member(request)
    return render(
        request, "payments/lost_phone.html", {"member": member, "summary": member_portal_summary(member=member)}
    )


@login_required
@require_POST
@reauthentication_required
def unfreeze(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    try:
        # Reached only through allauth's reauthentication (above).
        wallet_unfreeze(member=member, by_staff=False, reauthenticated=True)
    except WalletError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Your wallet is active again."))
    return redirect("wallet:limits")
