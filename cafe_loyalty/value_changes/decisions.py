"""A second manager approves (and so applies) or anyone entitled rejects a
pending value change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cafe_loyalty.models import ValueChange
from cafe_loyalty.value_changes.requests import value_change_applied
from payments.exceptions import ApprovalRefused
from payments.services.approvals import approval_check


def _locked_pending(change_id: int) -> ValueChange:
    change = ValueChange.objects.select_for_update(of=("self",)).select_related("requested_by", "member")
    locked = change.get(pk=change_id)
    if locked.status != ValueChange.Status.PENDING:
        raise ApprovalRefused(_("This change has already been approved or rejected."))
    return locked


def value_change_approve(*, change_id: int, approver: Any) -> ValueChange:
    """Apply a pending change in one transaction, once: the row is locked and
    must still be pending, so approving twice (or two managers at once)
    applies it once. The approver passes the one four-eyes rule
    (approval_check): a Manager, not the requester, not the member the change
    is for, with a verified email."""
    with transaction.atomic(durable=True):
        change = _locked_pending(change_id)
        approval_check(approver=approver, actor=change.requested_by, member=change.member, manager_only=True)
        return value_change_applied(change, approver=approver)


def value_change_reject(*, change_id: int, by: Any) -> ValueChange:
    """Nothing is applied. The requester may withdraw their own change this way."""
    with transaction.atomic(durable=True):
        change = _locked_pending(change_id)
        change.status = ValueChange.Status.REJECTED
        change.decided_by, change.decided_at = by, timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
        return change
