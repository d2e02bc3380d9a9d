from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.offers_home, name="home"),
    path("rewards/<int:reward_id>/redeem/", views.redeem_reward, name="redeem_reward"),
    path("feedback/<str:reference>/", views.feedback, name="feedback"),
    path("r/<str:code>/", views.referral_landing, name="referral"),
]
