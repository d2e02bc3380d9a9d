"""Staff sign in at the till on a page of their own: allauth's login (rate
limits, then the two-factor step) without "sign up" or "remember me"."""

from __future__ import annotations

from typing import Any

from allauth.account.views import LoginView

from payments.forms import StaffLoginForm


class StaffLoginView(LoginView):
    form_class = StaffLoginForm
    template_name = "pos/login.html"

    def get_form_class(self) -> Any:
        return StaffLoginForm  # never ACCOUNT_FORMS["login"]: that is the members' form


staff_login = StaffLoginView.as_view()
