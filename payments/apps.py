from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments & stores")

    def ready(self) -> None:
        from members.privacy_export import register_exporter
        from payments.selectors.wallet import member_history

        def wallet_history(member: object) -> list[dict[str, object]]:
            return [
                {
                    "type": item.type,
                    "amount": item.amount,
                    "description": item.description,
                    "at": item.created_at.isoformat(),
                }
                for item in member_history(member=member, limit=100_000)  # type: ignore[arg-type]
                if item.kind == "wallet"
            ]

        register_exporter("wallet_history", wallet_history)
