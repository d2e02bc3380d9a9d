from django.urls import path

from payments import views_portal

app_name = "wallet"

urlpatterns = [
    path("wallet/", views_portal.wallet, name="wallet"),
    path("pay/", views_portal.pay, name="pay"),
]
