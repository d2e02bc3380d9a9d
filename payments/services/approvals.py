"""Who may approve an exception — a refund above the threshold, paying a
wallet back in cash: the one rule, four eyes.

The approver is a second person: not the one at the till, and never the
owner of the wallet concerned (a member's own staff account approves nothing
on their own wallet). They hold the approval permission through a staff role,
and their email address is verified (an account someone registered with a
colleague's address cannot approve). Proving who they are — password and
second factor — is the till form's job (payments.views.till_approval)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.utils.translation import gettext as _

from cafe_loyalty.core.roles import MANAGER, user_roles
from members.models import Member
from payments.exceptions import ApprovalRefused

APPROVAL_PERMISSION = "payments.approve_refund"


def approval_check(*, approver: Any, actor: Any, member: Member | None, manager_only: bool = False) -> None:
    """Refuse (ApprovalRefused) unless `approver` may approve what `actor` is
    doing on `member`'s wallet or order; `manager_only` when only a Manager
    may (a person past their own daily refund total)."""
    roles = user_roles(approver)
    if not approver.is_active or not roles or not approver.has_perm(APPROVAL_PERMISSION):
        raise ApprovalRefused(_("Only a shift manager or manager can approve this."))
    if manager_only and MANAGER not in roles:
        raise ApprovalRefused(_("Only a manager can approve this."))
    if not EmailAddress.objects.filter(user=approver, verified=True).exists():
        raise ApprovalRefused(_("The approver's email address is not verified yet."))
    if actor is not None and approver.pk == actor.pk:
        raise ApprovalRefused(_("Someone other than the person at the till must approve this."))
    if member is not None and member.user_id is not None and member.user_id == approver.pk:
        raise ApprovalRefused(_("Nobody can approve anything on their own wallet."))
