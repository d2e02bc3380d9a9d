from __future__ import annotations

import copy
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cafe_loyalty.core.hashing import keyed_hash
from cafe_loyalty.core.rulecache import RuleCache
from members.models import Member
from members.services import member_enrol_at_till
from payments.models import Store, Terminal, TerminalEnrolment

KEY_PURPOSE = "terminal-key"
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def terminal_create(*, store: Store, name: str) -> tuple[Terminal, str]:
    """Create a terminal and return it with its key; the key is not kept."""
    prefix = secrets.token_hex(4)
    key = f"ct_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        terminal = Terminal.objects.create(
            store=store, name=name, key_prefix=prefix, key_hash=keyed_hash(key, purpose=KEY_PURPOSE)
        )
    return terminal, key


def _active_terminals() -> dict[str, Terminal]:
    return {t.key_hash: t for t in Terminal.objects.select_related("store").filter(is_active=True)}


# Every API request starts by finding its terminal: the active terminals are
# memoised per process (cafe_loyalty.core.rulecache). A terminal revoked or
# edited in this process is refused at once; other processes refuse it within
# rulecache.SECONDS (5 s).
_terminals = RuleCache(_active_terminals, models=(Terminal, Store))


def terminal_for_key(*, key: str) -> Terminal | None:
    found = _terminals.get().get(keyed_hash(key, purpose=KEY_PURPOSE))
    if found is None:
        return None
    # A copy per request: the memo is shared by the process's threads.
    terminal = copy.copy(found)
    now = timezone.now()
    # Write last-seen at most once a minute so the hot payment path stays read-only here.
    if terminal.last_seen_at is None or now - terminal.last_seen_at > LAST_SEEN_RESOLUTION:
        Terminal.objects.filter(pk=terminal.pk).update(last_seen_at=now)
        terminal.last_seen_at = found.last_seen_at = now
    return terminal


def terminal_revoke(*, terminal: Terminal) -> None:
    Terminal.objects.filter(pk=terminal.pk).update(is_active=False)
    _terminals.forget()  # .update() sends no signal
    transaction.on_commit(_terminals.forget)


def member_enrol_by_terminal(*, terminal: Terminal, email: str, name: str, phone: str = "") -> Member:
    """Enrol a customer from a till or kiosk, remembering which terminal did:
    it may top the new member up only a little on their first day
    (payments.services.top_up_limits)."""
    with transaction.atomic():
        member = member_enrol_at_till(email=email, name=name, phone=phone)
        TerminalEnrolment.objects.create(member=member, terminal=terminal)
    return member
