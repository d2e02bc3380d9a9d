"""Who is held out of an offer: a stable hash of the pair (offer, member)
puts each member in a bucket 0–99; buckets below the offer's holdout % get
nothing. The one home of that assignment, for lifecycle campaigns and for
points promotions, so both are drawn the same way.

Stable: reruns, restarts and other processes put a member in the same group.
Independent across offers: the hash is keyed by the offer, so being held out
of one campaign or promotion says nothing about the next."""

from __future__ import annotations

import hashlib

from campaigns.models import Promotion


def offer_bucket(*, offer: str, member_id: int) -> int:
    """0–99, stable for an (offer, member) pair; `offer` names it, e.g. "campaign:7"."""
    digest = hashlib.sha256(f"{offer}:member:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def holdout_bucket(*, campaign_id: int, member_id: int) -> int:
    """A lifecycle campaign's bucket (the key every campaign entry so far was drawn with)."""
    return offer_bucket(offer=f"campaign:{campaign_id}", member_id=member_id)


def promotion_holds_out(*, promotion: Promotion, member_id: int) -> bool:
    """True when the member is in the promotion's holdout: the promotion
    gives them no points, is not shown to them and is not recalled to them."""
    percent = promotion.holdout_percent
    return bool(percent) and offer_bucket(offer=f"promotion:{promotion.pk}", member_id=member_id) < percent
