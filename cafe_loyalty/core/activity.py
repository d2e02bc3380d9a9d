"""Which requests count as a person's activity for the staff idle sign-out.

A screen that refreshes itself (the till's order-ahead queue, polled every
few seconds) is not someone at the till: if its polls kept the session alive,
a till left open would never sign out. Views mark themselves with
`not_staff_activity`; the session policy (cafe_loyalty.middleware) still
checks such requests against the idle limit but does not count them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

View = TypeVar("View", bound=Callable[..., Any])

MARK = "not_staff_activity"


def not_staff_activity(view: View) -> View:
    """Mark a view whose requests a page sends by itself (polls)."""
    setattr(view, MARK, True)
    return view


def is_staff_activity(view: Callable[..., Any]) -> bool:
    return not getattr(view, MARK, False)
