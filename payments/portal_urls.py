from django.urls import path

from payments.views import portal, portal_security

app_name = "wallet"

urlpatterns = [
    path("wallet/", portal.wallet, name="wallet"),
    path("wallet/top-up/", portal.top_up, name="top_up"),
    path("wallet/limits/", portal_security.limits, name="limits"),
    path("wallet/freeze/", portal_security.freeze, name="freeze"),
    path("wallet/unfreeze/", portal_security.unfreeze, name="unfreeze"),
    path("wallet/lost-phone/", portal_security.lost_phone, name="lost_phone"),
    path("wallet/confirm/<int:payment_id>/", portal.confirm, name="confirm"),
    path("wallet/pending/", portal.pending, name="pending"),
    path("wallet/receipts/<int:order_id>/", portal.receipt, name="receipt"),
    path("pay/", portal.pay, name="pay"),
    path("pay/code/", portal.pay_code, name="pay_code"),
]
