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

        register_exporter("coupons", coupons)
