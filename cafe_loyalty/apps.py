from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CafeLoyaltyConfig(AppConfig):
    name = "cafe_loyalty"
    verbose_name = _("Cafe loyalty")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from cafe_loyalty import middleware
        from cafe_loyalty.core import roles

        # Permissions appear as models are added; keep the role groups in step
        # after every migrate (the data migration creates them the first time).
        # Listen to every app's post_migrate (cheap: three groups), not only
        # this app's: the last one, after every app's permissions exist, wins.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="cafe_sync_roles")
        # Every sign-in starts the session policy (listed session, staff limits).
        user_logged_in.connect(middleware.session_policy_on_login, dispatch_uid="cafe_session_policy")
