from django.urls import path

from payments import views_pos

app_name = "pos"

urlpatterns = [
    path("", views_pos.home, name="home"),
    path("search/", views_pos.search, name="search"),
    path("new/", views_pos.new_order, name="new_order"),
    path("orders/", views_pos.orders, name="orders"),
    path("orders/<int:order_id>/add/<int:product_id>/", views_pos.add, name="add"),
    path("orders/<int:order_id>/scan/", views_pos.scan, name="scan"),
    path("orders/<int:order_id>/pay/", views_pos.pay, name="pay"),
    path("orders/<int:order_id>/status/", views_pos.status, name="status"),
    path("orders/<int:order_id>/receipt/", views_pos.receipt, name="receipt"),
    path("orders/<int:order_id>/refund/", views_pos.refund, name="refund"),
    path("lines/<int:line_id>/quantity/", views_pos.line_quantity, name="line_quantity"),
    path("lines/<int:line_id>/modifiers/", views_pos.line_modifiers, name="line_modifiers"),
    path("lines/<int:line_id>/note/", views_pos.line_note, name="line_note"),
    path("top-up/", views_pos.top_up, name="top_up"),
    path("cash-out/", views_pos.cash_out, name="cash_out"),
    path("shift/", views_pos.shift, name="shift"),
    path("shift/<int:shift_id>/z/", views_pos.z_report_view, name="z_report"),
]
