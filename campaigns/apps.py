from typing import Any

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns & coupons"

    def ready(self) -> None:
        from campaigns import signals  # noqa: F401  (signup referrals, tier-up coupons)
        from members.privacy_export import register_exporter

        def coupons(member: Any) -> list[dict[str, object]]:
            from campaigns.models import Coupon

            return [
                {
                    "code": c.code,
                    "offer": c.template.name,
                    "issued": c.issued_at.isoformat(),
                    "redeemed": c.redeemed_at.isoformat() if c.redeemed_at else None,
                }
                for c in Coupon.objects.filter(member=member).select_related("template")
            ]

        def segment(member: Any) -> dict[str, object] | None:
            from campaigns.models import MemberSegment

            row = MemberSegment.objects.filter(member=member).first()
            if row is None:
                return None
            return {
                "segment": row.segment,
                "recency_score": row.r_score,
                "frequency_score": row.f_score,
                "monetary_score": row.m_score,
                "computed_at": row.computed_at.isoformat(),
            }

        def campaigns(member: Any) -> list[dict[str, object]]:
            from campaigns.models import CampaignEntry

            return [
                {"campaign": e.campaign.name, "group": e.group, "entered": e.entered_at.isoformat()}
                for e in CampaignEntry.objects.filter(member=member).select_related("campaign")
            ]

        register_exporter("coupons", coupons)
        register_exporter("segment", segment)
        register_exporter("campaigns", campaigns)
