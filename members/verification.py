"""The verification email for a member enrolled at the till or a kiosk.

The portal's sign-up verifies by a code typed into the same browser (allauth's
by-code flow keeps it in that browser's session), which cannot work for an
email typed by a barista: the code would wait in the till's session. So the
enrolled member gets allauth's link email instead — the same HMAC key,
template and confirmation view allauth uses when codes are off — and opens it
on their own phone. Afterwards they claim the account with "forgot password"."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.views import ConfirmEmailView
from django.http import Http404, HttpRequest
from django.urls import reverse


def enrolment_verification_send(*, request: HttpRequest, user: Any) -> bool:
    """Send the confirmation link for the user's unverified primary address;
    False when there is none to verify."""
    address = EmailAddress.objects.filter(user=user, primary=True, verified=False).first()
    if address is None:
        return False
    confirmation = EmailConfirmationHMAC(address)
    link = request.build_absolute_uri(reverse("account_confirm_email", args=[confirmation.key]))
    get_adapter(request).send_mail(
        "account/email/email_confirmation",
        address.email,
        {"user": user, "key": confirmation.key, "activate_url": link},
    )
    return True


class LinkConfirmEmailView(ConfirmEmailView):
    """allauth's confirmation page for the link above. allauth looks keys up
    only while codes are off, so the HMAC key is read here; the rest (the
    page, verifying, messages, where to go next) is allauth's."""

    def get_object(self, queryset: Any = None) -> EmailConfirmationHMAC:
        confirmation = EmailConfirmationHMAC.from_key(self.kwargs["key"])
        if confirmation is None:
            raise Http404()
        return confirmation


link_confirm_email = LinkConfirmEmailView.as_view()
