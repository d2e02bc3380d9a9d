from django.urls import path

from payments import views_pos

app_name = "pos"

urlpatterns = [
    path("", views_pos.home, name="home"),
]
