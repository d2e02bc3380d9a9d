"""Download-my-data: members' own data plus what higher layers register.

Apps above members (payments, campaigns) call `register_exporter` from their
AppConfig.ready, so the export includes wallet history and coupons without
members importing upward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from members.models import Member

Exporter = Callable[[Member], Any]
_exporters: dict[str, Exporter] = {}


def register_exporter(name: str, exporter: Exporter) -> None:
    _exporters[name] = exporter


def member_export(*, member: Member) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "card_number": member.card_number,
            "name": member.display_name,
            "email": member.email,
            "phone": member.phone,
            "birthday": member.birthday.isoformat() if member.birthday else None,
            "language": member.preferred_language,
            "member_since": member.created_at.isoformat(),
            "tier": member.tier.name if member.tier else None,
            "points_balance": member.points_balance,
        },
        "consents": [
            {"channel": c.channel, "purpose": c.purpose, "granted": c.granted, "recorded_at": c.recorded_at.isoformat()}
            for c in member.consents.order_by("recorded_at")
        ],
        "points_entries": [
            {"kind": e.kind, "points": e.points, "reference": e.reference, "at": e.created_at.isoformat()}
            for e in member.points_entries.order_by("created_at")
        ],
        "points_lots": [
            {"points": lot.points, "remaining": lot.remaining, "expires_at": lot.expires_at.isoformat()}
            for lot in member.points_lots.order_by("expires_at")
        ],
        "notices": [
            {"kind": n.kind, "title": n.title, "body": n.body, "at": n.created_at.isoformat()}
            for n in member.notices.order_by("created_at")
        ],
    }
    for name, exporter in _exporters.items():
        data[name] = exporter(member)
    return data
