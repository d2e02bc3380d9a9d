from django.urls import path

from payments.views import (
    portal_offline,
    staff_login,
    till,
    till_ahead,
    till_ahead_menu,
    till_counter,
    till_enrol,
    till_refund,
    till_shift,
)

app_name = "pos"

urlpatterns = [
    path("", till.home, name="home"),
    path("login/", staff_login.staff_login, name="login"),
    path("offline/keys/", portal_offline.public_keys, name="offline_keys"),
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
    path("ahead/", till_ahead.ahead, name="ahead"),
    path("ahead/queue/", till_ahead.queue, name="ahead_queue"),
    path("ahead/badge/", till_ahead.badge, name="ahead_badge"),
    path("ahead/<int:order_id>/advance/", till_ahead.advance, name="ahead_advance"),
    path("ahead/<int:order_id>/ticket/", till_ahead.ticket, name="ahead_ticket"),
    path("ahead/pause/", till_ahead.pause, name="ahead_pause"),
    path("ahead/resume/", till_ahead.resume, name="ahead_resume"),
    path("ahead/sold-out/", till_ahead_menu.sold_out, name="ahead_sold_out"),
    path("ahead/sold-out/products/<int:product_id>/", till_ahead_menu.product_toggle, name="ahead_product_toggle"),
    path("ahead/sold-out/options/<int:option_id>/", till_ahead_menu.option_toggle, name="ahead_option_toggle"),
]
