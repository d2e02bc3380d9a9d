from django.urls import path

from payments.views import ahead_cart, ahead_menu, ahead_orders, portal, portal_offline, portal_security, portal_sw

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
    # Paying offline from this phone (issue 18): JSON for the Pay page's script.
    path("pay/offline/", portal_offline.status, name="offline_status"),
    path("pay/offline/enable/", portal_offline.enable, name="offline_enable"),
    path("pay/offline/disable/", portal_offline.disable, name="offline_disable"),
    path("pay/sw.js", portal_sw.service_worker, name="pay_sw"),
    # Order ahead (issue 16); payments.services.ahead.ahead_order_link names the order page.
    path("order/", ahead_menu.stores, name="ahead_stores"),
    path("order/<slug:slug>/", ahead_menu.menu, name="ahead_menu"),
    path("order/<slug:slug>/items/<int:product_id>/", ahead_menu.item, name="ahead_item"),
    path("order/<slug:slug>/cart/", ahead_cart.cart, name="ahead_cart"),
    path("order/<slug:slug>/cart/pay/", ahead_cart.pay, name="ahead_pay"),
    path("orders/", ahead_orders.history, name="ahead_orders"),
    path("orders/<int:order_id>/", ahead_orders.order, name="ahead_order"),
    path("orders/<int:order_id>/status/", ahead_orders.status, name="ahead_order_status"),
    path("orders/<int:order_id>/cancel/", ahead_orders.cancel, name="ahead_cancel"),
    path("orders/<int:order_id>/again/", ahead_orders.again, name="ahead_again"),
]
