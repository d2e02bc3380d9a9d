from django.urls import path

from payments.views import staff_login, till, till_counter, till_enrol, till_refund, till_shift

app_name = "pos"

urlpatterns = [
    path("", till.home, name="home"),
    path("login/", staff_login.staff_login, name="login"),
    path("search/", till.search, name="search"),
    path("new/", till.new_order, name="new_order"),
    path("orders/", till.orders, name="orders"),
    path("orders/<int:order_id>/add/<int:product_id>/", till.add, name="add"),
    path("orders/<int:order_id>/scan/", till.scan, name="scan"),
    path("orders/<int:order_id>/coupons/<int:applied_id>/remove/", till.remove_coupon, name="remove_coupon"),
    path("orders/<int:order_id>/pay/", till.pay, name="pay"),
    path("orders/<int:order_id>/status/", till.status, name="status"),
    path("orders/<int:order_id>/receipt/", till.receipt, name="receipt"),
    path("orders/<int:order_id>/refund/", till_refund.refund, name="refund"),
    path("orders/<int:order_id>/enrol/", till_enrol.enrol, name="enrol"),
    path("lines/<int:line_id>/quantity/", till.line_quantity, name="line_quantity"),
    path("lines/<int:line_id>/modifiers/", till.line_modifiers, name="line_modifiers"),
    path("lines/<int:line_id>/note/", till.line_note, name="line_note"),
    path("top-up/", till_counter.top_up, name="top_up"),
    path("cash-out/", till_counter.cash_out, name="cash_out"),
    path("shift/", till_shift.shift, name="shift"),
    path("shift/<int:shift_id>/z/", till_shift.z_report_view, name="z_report"),
]
