from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns & coupons")

    def ready(self) -> None:
        # Models are loaded only now, so these modules are imported here.
        from django.db.backends.signals import connection_created

        from campaigns import signals  # noqa: F401  (signup referrals, tier-up coupons)
        from campaigns.holdout import register_sqlite_offer_bucket
        from campaigns.selectors import (
            broadcast_deliveries_of_member,
            campaign_entries_of_member,
            coupons_of_member,
            member_segment,
            member_value,
            promotion_awards_of_member,
            reminders_of_member,
        )
        from members.privacy_export import register_exporter

        def coupons(member: Any) -> list[dict[str, object]]:
            return [
                {
                    "code": c.code,
                    "offer": c.template.name,
                    "issued": c.issued_at.isoformat(),
                    "redeemed": c.redeemed_at.isoformat() if c.redeemed_at else None,
                }
                for c in coupons_of_member(member=member)
            ]

        def segment(member: Any) -> dict[str, object] | None:
            row = member_segment(member=member)
            if row is None:
                return None
            return {
                "segment": row.segment,
                "recency_score": row.r_score,
                "frequency_score": row.f_score,
                "monetary_score": row.m_score,
                "computed_at": row.computed_at.isoformat(),
            }

        def value(member: Any) -> dict[str, object] | None:
            """The CLV model's scores about the member (a profile the programme keeps on them)."""
            row = member_value(member=member)
            if row is None:
                return None
            return {
                "probability_still_a_customer": row.p_alive,
                "expected_visits_90_days": row.expected_visits_90d,
                "value_12_months_minor_units": row.clv_12m,
                "high_value_at_risk_of_leaving": row.high_value_at_risk,
                "computed_at": row.fitted_at.isoformat(),
            }

        def campaigns(member: Any) -> list[dict[str, object]]:
            return [
                {"campaign": e.campaign.name, "group": e.group, "entered": e.entered_at.isoformat()}
                for e in campaign_entries_of_member(member=member)
            ]

        def promotion_awards(member: Any) -> list[dict[str, object]]:
            """Extra points a promotion gave their orders (as earned, before any refund)."""
            return [
                {
                    "promotion": a.promotion.name,
                    "order": a.reference,
                    "points": a.points,
                    "at": a.awarded_at.isoformat(),
                }
                for a in promotion_awards_of_member(member=member)
            ]

        def messages(member: Any) -> list[dict[str, object]]:
            """News messages sent to them; the text itself is in their notices."""
            return [
                {"message": d.broadcast.title, "by_email": d.by_email, "at": d.sent_at.isoformat()}
                for d in broadcast_deliveries_of_member(member=member)
            ]

        def reminders(member: Any) -> list[dict[str, object]]:
            """Ends-soon reminders: what kind of thing (its id: a coupon, points lot or promotion) and when."""
            return [
                {"kind": r.kind, "object_id": r.object_id, "at": r.sent_at.isoformat()}
                for r in reminders_of_member(member=member)
            ]

        connection_created.connect(register_sqlite_offer_bucket, dispatch_uid="campaigns.offer_bucket")
        register_exporter("coupons", coupons)
        register_exporter("segment", segment)
        register_exporter("value", value)
        register_exporter("campaigns", campaigns)
        register_exporter("promotion_awards", promotion_awards)
        register_exporter("messages", messages)
        register_exporter("reminders", reminders)
