from django.urls import path

from payments import api

app_name = "api"

urlpatterns = [
    path("members", api.MembersView.as_view(), name="members"),
    path("members/<str:card_number>", api.MemberDetailView.as_view(), name="member-detail"),
    path("topups", api.TopUpsView.as_view(), name="topups"),
    path("payments", api.PaymentsView.as_view(), name="payments"),
    path("payments/<int:payment_id>", api.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<int:payment_id>/refunds", api.RefundsView.as_view(), name="refunds"),
    path("me", api.MeView.as_view(), name="me"),
    path("me/payment-code", api.MePaymentCodeView.as_view(), name="me-payment-code"),
    path("me/transactions", api.MeTransactionsView.as_view(), name="me-transactions"),
    path("me/payments/<int:payment_id>/confirm", api.MeConfirmPaymentView.as_view(), name="me-confirm"),
]
