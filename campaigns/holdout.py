"""Who is held out of an offer: a stable hash of the pair (offer, member)
puts each member in a bucket 0–99; buckets below the offer's holdout % get
nothing. The one home of that assignment, for lifecycle campaigns and for
points promotions, so both are drawn the same way.

Stable: reruns, restarts and other processes put a member in the same group.
Independent across offers: the hash is keyed by the offer, so being held out
of one campaign or promotion says nothing about the next."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Func, IntegerField, Q, Value
from django.db.models.lookups import GreaterThanOrEqual

from campaigns.models import Promotion


def offer_bucket(*, offer: str, member_id: int) -> int:
    """0–99, stable for an (offer, member) pair; `offer` names it, e.g. "campaign:7"."""
    digest = hashlib.sha256(f"{offer}:member:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


# SQLite has no SHA-256: offer_bucket itself is registered on each SQLite
# connection under this name (campaigns.apps), so the SQL and Python agree.
SQLITE_OFFER_BUCKET = "cafe_offer_bucket"


class OfferBucket(Func):
    """offer_bucket in the ORM, for counting a whole membership's groups in
    the database; `member` is the expression of the member's id."""

    output_field = IntegerField()

    def __init__(self, offer: str, member: Any) -> None:
        super().__init__(Value(offer), member)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function=SQLITE_OFFER_BUCKET, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The first four bytes of the digest as an unsigned big-endian integer, mod 100.
        (offer, offer_params), (member, member_params) = (compiler.compile(e) for e in self.get_source_expressions())
        key = f"convert_to({offer} || ':member:' || ({member})::text, 'UTF8')"
        return f"MOD(('x' || left(encode(sha256({key}), 'hex'), 8))::bit(32)::bigint, 100)", [
            *offer_params,
            *member_params,
        ]


def register_sqlite_offer_bucket(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: OfferBucket's function on SQLite."""
    if connection.vendor == "sqlite":
        bucket = lambda offer, member: offer_bucket(offer=offer, member_id=member)  # noqa: E731
        connection.connection.create_function(SQLITE_OFFER_BUCKET, 2, bucket, deterministic=True)


def holdout_bucket(*, campaign_id: int, member_id: int) -> int:
    """A lifecycle campaign's bucket (the key every campaign entry so far was drawn with)."""
    return offer_bucket(offer=f"campaign:{campaign_id}", member_id=member_id)


def promotion_holds_out(*, promotion: Promotion, member_id: int) -> bool:
    """True when the member is in the promotion's holdout: the promotion
    gives them no points, is not shown to them and is not recalled to them."""
    percent = promotion.holdout_percent
    return bool(percent) and offer_bucket(offer=promotion_offer(promotion), member_id=member_id) < percent


def promotion_offered(promotion: Promotion) -> Q:
    """promotion_holds_out's complement as a condition on members, for
    counting a whole membership in the database: not in its holdout."""
    if not promotion.holdout_percent:
        return Q(pk__isnull=False)  # no holdout: every member
    bucket = OfferBucket(promotion_offer(promotion), "pk")
    return Q(GreaterThanOrEqual(bucket, promotion.holdout_percent))


def promotion_offer(promotion: Promotion) -> str:
    """The name a promotion's buckets are drawn under."""
    return f"promotion:{promotion.pk}"
