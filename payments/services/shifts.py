"""Shifts at a store: open with a float, move cash in and out, close with the
counted cash; the Z report adds up every tender, refund, discount and top-up."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.core.money import format_money
from payments.models import CashMovement, Order, ProgrammeSettings, Shift, Store, Tender
from payments.selectors.shifts import ZReport, z_report
from payments.services.orders.errors import TillError


def _require_shift_manager(user: Any) -> None:
    """Opening and closing shifts and moving cash in or out of the drawer are
    a shift manager's: a barista alone cannot change what the drawer should hold."""
    if not user.has_perm("payments.manage_shift"):
        raise TillError(_("A shift manager opens and closes shifts and moves cash in or out of the drawer."))


# A drawer never holds more than this many of the programme's largest top-up;
# an amount above it is a slip of the finger (or worse) and would skew the Z
# report, so floats, cash movements and counts above it are refused.
DRAWER_LIMIT_IN_MAX_TOP_UPS = 100


def _check_drawer_amount(amount: int) -> None:
    limit = ProgrammeSettings.current().max_top_up * DRAWER_LIMIT_IN_MAX_TOP_UPS
    if abs(amount) > limit:
        raise TillError(
            _("%(amount)s is more than a drawer holds (at most %(limit)s). Check the amount.")
            % {"amount": format_money(abs(amount)), "limit": format_money(limit)}
        )


def shift_open(*, store: Store, user: Any, opening_float: int) -> Shift:
    _require_shift_manager(user)
    if opening_float < 0:
        raise TillError(_("The float cannot be negative."))
    _check_drawer_amount(opening_float)
    try:
        with transaction.atomic():
            return Shift.objects.create(store=store, opened_by=user, opening_float=opening_float)
    except IntegrityError:
        raise TillError("A shift is already open at this store.") from None


def cash_move(*, shift: Shift, amount: int, reason: str, user: Any) -> CashMovement:
    _require_shift_manager(user)
    if amount == 0 or not reason.strip():
        raise TillError(_("Enter an amount and a reason."))
    _check_drawer_amount(amount)
    return CashMovement.objects.create(shift=shift, amount=amount, reason=reason[:120], actor=user)


def shift_close(*, shift: Shift, counted_cash: int, user: Any) -> ZReport:
    _require_shift_manager(user)
    if shift.closed_at is not None:
        raise TillError(_("This shift is already closed."))
    if counted_cash < 0:
        raise TillError(_("The counted cash cannot be negative."))
    _check_drawer_amount(counted_cash)
    part_paid = Order.objects.filter(
        store=shift.store, status=Order.Status.OPEN, tenders__status__in=[Tender.Status.SETTLED, Tender.Status.PENDING]
    )
    if part_paid.exists():
        raise TillError(_("An order is part-paid; finish or refund it before closing."))
    report = z_report(shift=shift)
    shift.closed_at = timezone.now()
    shift.closed_by = user
    shift.counted_cash = counted_cash
    shift.expected_cash = report.expected_cash
    shift.save(update_fields=["closed_at", "closed_by", "counted_cash", "expected_cash"])
    return report
