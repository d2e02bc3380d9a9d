from django.urls import path

from cafe_loyalty.core.urlconverters import register
from payments.api import me, members, offline, orders_ahead, payments, stores, topups

app_name = "api"
register()  # <id:…> (cafe_loyalty.core.urlconverters)

urlpatterns = [
    path("members", members.MembersView.as_view(), name="members"),
    path("members/<str:card_number>", members.MemberDetailView.as_view(), name="member-detail"),
    path("topups", topups.TopUpsView.as_view(), name="topups"),
    path("payments", payments.PaymentsView.as_view(), name="payments"),
    path("payments/<id:payment_id>", payments.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<id:payment_id>/refunds", payments.RefundsView.as_view(), name="refunds"),
    path("me", me.MeView.as_view(), name="me"),
    path("me/payment-code", me.MePaymentCodeView.as_view(), name="me-payment-code"),
    path("me/transactions", me.MeTransactionsView.as_view(), name="me-transactions"),
    path("me/payments/<id:payment_id>/confirm", me.MeConfirmPaymentView.as_view(), name="me-confirm"),
    path("stores", stores.StoresView.as_view(), name="stores"),
    path("stores/<slug:slug>/menu", stores.StoreMenuView.as_view(), name="store-menu"),
    path("me/orders", orders_ahead.MeOrdersView.as_view(), name="me-orders"),
    path("me/orders/<id:order_id>", orders_ahead.MeOrderDetailView.as_view(), name="me-order"),
    path("me/orders/<id:order_id>/cancel", orders_ahead.MeOrderCancelView.as_view(), name="me-order-cancel"),
    path("orders", orders_ahead.OrdersView.as_view(), name="orders"),
    path("orders/<id:order_id>/status", orders_ahead.OrderStatusView.as_view(), name="order-status"),
    path("offline/sales", offline.OfflineSalesView.as_view(), name="offline-sales"),
]
