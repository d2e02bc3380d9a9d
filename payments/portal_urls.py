from django.urls import path

from payments import views_portal

app_name = "wallet"

urlpatterns = [
    path("wallet/", views_portal.wallet, name="wallet"),
    path("wallet/top-up/", views_portal.top_up, name="top_up"),
    path("wallet/limits/", views_portal.limits, name="limits"),
    path("wallet/freeze/", views_portal.freeze, name="freeze"),
    path("wallet/unfreeze/", views_portal.unfreeze, name="unfreeze"),
    path("wallet/confirm/<int:payment_id>/", views_portal.confirm, name="confirm"),
    path("wallet/pending/", views_portal.pending, name="pending"),
    path("wallet/receipts/<int:order_id>/", views_portal.receipt, name="receipt"),
    path("pay/", views_portal.pay, name="pay"),
    path("pay/code/", views_portal.pay_code, name="pay_code"),
]
