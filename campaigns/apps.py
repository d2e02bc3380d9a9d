from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns & coupons"

    def ready(self) -> None:
        from campaigns import signals  # noqa: F401  (signup referrals, tier-up coupons)
