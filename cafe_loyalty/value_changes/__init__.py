"""Four eyes on value a manager creates by hand: issuing or un-redeeming a
coupon, coupon templates, top-up bonus rules, points adjustments.

`requests` records each change (ValueChange, the audit log) and applies it at
once when it is small, else leaves it pending; `decisions` approves (a second
manager, through payments.services.approvals.approval_check, applying the
change through the owning app's service in the same transaction) or rejects;
`sizes` measures a change against its threshold; `appliers` carries a change
out."""
