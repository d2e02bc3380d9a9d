from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from cafe_loyalty import views
from members.verification import link_confirm_email

admin.site.site_header = _("Cafe loyalty — back office")
admin.site.site_title = _("Cafe loyalty")
admin.site.index_title = _("Programme, stores and payments")

urlpatterns = [
    # First: Django tries the routes in order, and the API's (the payment's
    # above all) are the busiest; no route below takes a path under api/v1/.
    path("api/v1/", include("payments.api_urls")),
    path("", views.home, name="home"),
    path("more/", views.more, name="more"),
    path("privacy-policy/", TemplateView.as_view(template_name="portal/privacy_policy.html"), name="privacy_policy"),
    path("healthz", views.healthz, name="healthz"),
    # allauth routes its link confirmation only while codes are off; members
    # enrolled at the till verify by link (members.verification).
    re_path(r"^accounts/confirm-email/(?P<key>[-:\w]+)/$", link_confirm_email, name="account_confirm_email"),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("me/", include("members.urls")),
    path("offers/", include("campaigns.urls")),
    path("", include("payments.portal_urls")),
    path("pos/", include("payments.pos_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", views.api_docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path(
        "manifest.webmanifest",
        TemplateView.as_view(template_name="portal/manifest.webmanifest", content_type="application/manifest+json"),
        name="manifest",
    ),
    # Last, so every real route wins: any other path under /api/ answers
    # problem+json, under DEBUG too (Django's technical 404 page is HTML, and
    # it answers before handler404 is asked).
    re_path(r"^api/", views.api_not_found, name="api-not-found"),
]

handler403 = "cafe_loyalty.views.error_403"
handler404 = "cafe_loyalty.views.error_404"
handler500 = "cafe_loyalty.views.error_500"
