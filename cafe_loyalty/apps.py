from django.apps import AppConfig


class CafeLoyaltyConfig(AppConfig):
    name = "cafe_loyalty"
    verbose_name = "Cafe loyalty"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from cafe_loyalty import roles

        # Permissions appear as models are added; keep the role groups in step
        # after every migrate (the data migration creates them the first time).
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
