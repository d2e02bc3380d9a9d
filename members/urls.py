from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("consent/", views.consent, name="consent"),
    path("points/", views.points, name="points"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notice_id>/", views.notice, name="notice"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/export.json", views.privacy_export, name="privacy_export"),
    path("inbox/badge/", views.notice_badge, name="notice_badge"),
]
