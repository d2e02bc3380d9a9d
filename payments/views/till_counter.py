"""Counter wallet services: top up, and pay a wallet back in cash."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money, parse_money
from cafe_loyalty.core.problems import Problem
from members.cards import is_valid_card_number
from members.models import Member
from members.selectors import member_by_card_number
from payments.exceptions import TooManyFailures
from payments.idempotency import form_claim
from payments.models import IdempotencyRecord
from payments.permissions import pos_required
from payments.selectors.wallet import top_up_offers
from payments.services.cash_out import wallet_cash_out
from payments.services.codes import member_for_live_code
from payments.services.guessing import guessing_check, guessing_failure_record
from payments.services.top_ups import wallet_top_up
from payments.views.till_approval import approver_from_form
from payments.views.till_common import (
    till_store,
    typed,
)


def _scanned_member(request: HttpRequest) -> tuple[Member | None, str]:
    """The member whose card number, or the pay code on their phone, was
    scanned; else None and why. Unknown ones count against this till login
    (payments.services.guessing), which waits after too many."""
    try:
        guessing_check(user=request.user)
    except TooManyFailures as exc:
        return None, exc.detail
    card = "".join(typed(request, "card", limit=40).split())
    member = member_by_card_number(card_number=card) if is_valid_card_number(card) else member_for_live_code(card)
    if member is None and card:
        guessing_failure_record(user=request.user, what="unknown card number or pay code at the counter")
    return member, "" if member else _("No member with that card number or pay code.")


def _claim_form(request: HttpRequest, purpose: str) -> IdempotencyRecord | None:
    """The form's one-time key, claimed (see form_claim); None when already used."""
    key = typed(request, "key", limit=64) or uuid.uuid4().hex
    return form_claim(user=request.user, key=f"{purpose}:{key}", source="pos")


def _typed_amount(request: HttpRequest) -> int | None:
    """The amount field in minor units; None when empty, 0 when not money."""
    text = typed(request, "amount", limit=40)
    if not text:
        return None
    try:
        return parse_money(text)
    except ValueError:
        return 0


@pos_required
def top_up(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    error = notice = ""
    if request.method == "POST":
        member, not_found = _scanned_member(request)
        amount = _typed_amount(request) or 0
        tender = request.POST.get("tender", "cash")
        if member is None:
            error = not_found
        elif amount <= 0 or tender not in ("cash", "card"):
            error = _("Enter an amount and choose cash or card.")
        elif (record := _claim_form(request, "topup")) is None:
            notice = _("Already done.")
        else:
            try:
                result = wallet_top_up(
                    member=member, amount=amount, tender=tender, store=store, actor=request.user,
                    gateway_reference=typed(request, "card_reference", limit=40) if tender == "card" else "",
                    idempotency_record=record,
                )  # fmt: skip
            except Problem as exc:
                record.delete()
                error = exc.detail
            else:
                notice = _("Topped up %(amount)s. Balance %(balance)s.") % {
                    "amount": format_money(amount),
                    "balance": format_money(result.wallet_balance),
                }
    context = {
        "store": store,
        "error": error,
        "notice": notice,
        "key": uuid.uuid4().hex,
        "offers": top_up_offers(at=timezone.now()),
    }
    return render(request, "pos/top_up.html", context)


@pos_required
def cash_out(request: HttpRequest) -> HttpResponse:
    """Pay a wallet back in cash (a member leaving, or asking for their money):
    a shift manager approves; top-up bonuses stay behind."""
    store = till_store(request)
    error = notice = ""
    if request.method == "POST":
        member, not_found = _scanned_member(request)
        amount = _typed_amount(request)
        if member is None:
            error = not_found
        elif amount == 0:
            error = _("Enter the amount as money, like 200, or leave it empty for all.")
        elif (record := _claim_form(request, "cashout")) is None:
            notice = _("Already done.")  # before the approver: a double tap must not spend their code
        else:
            approver, error = approver_from_form(request)
            try:
                if error:
                    raise Problem(error)
                done, balance = wallet_cash_out(
                    member=member, store=store, actor=request.user, approved_by=approver,
                    reason=typed(request, "reason"), amount=amount, idempotency_record=record,
                )  # fmt: skip
            except Problem as exc:
                record.delete()  # refused: the same form may be sent again once fixed
                error = exc.detail
            else:
                notice = _("Pay %(amount)s in cash from the drawer. Wallet balance now %(balance)s.") % {
                    "amount": format_money(done.amount),
                    "balance": format_money(balance),
                }
    context = {
        "store": store,
        "error": error,
        "notice": notice,
        "key": uuid.uuid4().hex,
    }
    return render(request, "pos/cash_out.html", context)
